import type { ResolvedLlmConfig } from '#contracts';
import type { Content, GenerateContentConfig, Schema, ThinkingLevel } from '@google/genai';
import { judgeSettings } from '../core/model-catalog.js';
import { COMPARISON_ANSWER_SCHEMA, type ComparisonPrompt } from '../core/prompt.js';

type RequestSettings = Pick<ResolvedLlmConfig, 'model' | 'temperature' | 'max_tokens'>;

/** REST form of GenerateContentConfig.thinkingConfig. */
export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: ThinkingLevel;
}

/** What `ai.models.generateContent` and an inlined batch request take (the SDK turns it into the wire form). */
export interface GeminiSdkRequest {
  contents: Content[];
  config: GenerateContentConfig;
}

/** The REST `GenerateContentRequest` (what a JSONL input line carries under `request`). */
export interface GeminiWireRequest {
  contents: Content[];
  systemInstruction: Content;
  generationConfig: {
    temperature?: number;
    maxOutputTokens: number;
    thinkingConfig?: GeminiThinkingConfig;
    responseMimeType: 'application/json';
    responseSchema: Schema;
  };
}

/** One line of a batch input file: `key` comes back on the result line, which is how results are matched. */
export interface GeminiBatchFileLine {
  key: string;
  request: GeminiWireRequest;
}

/**
 * Gemini's `responseSchema` is an OpenAPI-subset `Schema` (upper-case type names, no `additionalProperties`).
 * It is derived from the shared answer schema so every provider enforces the same answer.
 */
export function toGeminiSchema(jsonSchema: Readonly<Record<string, unknown>>): Schema {
  const schema: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(jsonSchema)) {
    if (field === 'type' && typeof value === 'string') schema.type = value.toUpperCase();
    else if (field === 'properties' && isRecord(value)) {
      schema.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [
          name,
          toGeminiSchema(child as Record<string, unknown>),
        ]),
      );
      // Gemini otherwise orders properties alphabetically in its output.
      schema.propertyOrdering = Object.keys(value);
    } else if (field === 'enum' || field === 'required') schema[field] = [...(value as readonly string[])];
    else if (field === 'description' || field === 'minimum' || field === 'maximum') schema[field] = value;
  }
  return schema as Schema;
}

export const GEMINI_ANSWER_SCHEMA: Schema = toGeminiSchema(COMPARISON_ANSWER_SCHEMA);

/**
 * Implicit prompt caching on Gemini keys on a shared request prefix: system instruction, then the assessment's
 * shared instructions as the first part, and only then the essays.
 */
function toContents(prompt: ComparisonPrompt): Content[] {
  return [{ role: 'user', parts: [{ text: prompt.sharedInstructions }, { text: prompt.itemText }] }];
}

/**
 * Temperature only where the model applies it; thinking tokens count against maxOutputTokens (2.5 Flash thinks up
 * to 8,192 tokens by default, python-genai#782), so the judge task sets the thinking budget or level from the
 * catalog and the output limit gets the catalog's allowance on top of the answer's max tokens.
 */
interface GenerationSettings {
  temperature?: number;
  maxOutputTokens: number;
  thinkingConfig?: GeminiThinkingConfig;
}

function generationSettings(config: RequestSettings): GenerationSettings {
  const settings = judgeSettings('google', config);
  const reasoning = settings.reasoning;
  const thinkingConfig: GeminiThinkingConfig | undefined =
    reasoning.kind === 'gemini_budget'
      ? { thinkingBudget: reasoning.judge_budget }
      : reasoning.kind === 'gemini_level'
        ? { thinkingLevel: reasoning.judge_level.toUpperCase() as ThinkingLevel }
        : undefined;
  // Built field by field, not from a leading spread (Node 20's V8 slow path, see bench/hot-object-shapes.bench.ts):
  // one per request of a batch.
  const generation = (
    settings.temperature !== undefined ? { temperature: settings.temperature } : {}
  ) as GenerationSettings;
  generation.maxOutputTokens = settings.max_output_tokens;
  if (thinkingConfig) generation.thinkingConfig = thinkingConfig;
  return generation;
}

export function toGeminiSdkRequest(prompt: ComparisonPrompt, config: RequestSettings): GeminiSdkRequest {
  return {
    contents: toContents(prompt),
    config: Object.assign({ systemInstruction: prompt.system }, generationSettings(config), {
      responseMimeType: 'application/json' as const,
      responseSchema: GEMINI_ANSWER_SCHEMA,
    }),
  };
}

export function toGeminiWireRequest(prompt: ComparisonPrompt, config: RequestSettings): GeminiWireRequest {
  return {
    contents: toContents(prompt),
    systemInstruction: { parts: [{ text: prompt.system }] },
    generationConfig: Object.assign(generationSettings(config), {
      responseMimeType: 'application/json' as const,
      responseSchema: GEMINI_ANSWER_SCHEMA,
    }),
  };
}

export function toGeminiBatchFileLine(key: string, request: GeminiWireRequest): GeminiBatchFileLine {
  return { key, request };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
