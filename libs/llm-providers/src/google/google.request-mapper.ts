import type { ResolvedLlmConfig } from '#contracts';
import type { Content, GenerateContentConfig, Schema } from '@google/genai';
import { COMPARISON_ANSWER_SCHEMA, type ComparisonPrompt } from '../core/prompt.js';

type RequestSettings = Pick<ResolvedLlmConfig, 'temperature' | 'max_tokens'>;

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
    temperature: number;
    maxOutputTokens: number;
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

export function toGeminiSdkRequest(prompt: ComparisonPrompt, config: RequestSettings): GeminiSdkRequest {
  return {
    contents: toContents(prompt),
    config: {
      systemInstruction: prompt.system,
      temperature: config.temperature,
      maxOutputTokens: config.max_tokens,
      responseMimeType: 'application/json',
      responseSchema: GEMINI_ANSWER_SCHEMA,
    },
  };
}

export function toGeminiWireRequest(prompt: ComparisonPrompt, config: RequestSettings): GeminiWireRequest {
  return {
    contents: toContents(prompt),
    systemInstruction: { parts: [{ text: prompt.system }] },
    generationConfig: {
      temperature: config.temperature,
      maxOutputTokens: config.max_tokens,
      responseMimeType: 'application/json',
      responseSchema: GEMINI_ANSWER_SCHEMA,
    },
  };
}

export function toGeminiBatchFileLine(key: string, request: GeminiWireRequest): GeminiBatchFileLine {
  return { key, request };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
