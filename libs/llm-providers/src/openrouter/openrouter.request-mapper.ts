import type { ResolvedLlmConfig } from '#contracts';
import { judgeSettings } from '../core/model-catalog.js';
import type { ComparisonPrompt } from '../core/prompt.js';

type RequestSettings = Pick<ResolvedLlmConfig, 'model' | 'temperature' | 'max_tokens'>;

interface TextPart {
  type: 'text';
  text: string;
  cache_control?: { type: 'ephemeral' };
}

export interface OpenRouterChatBody {
  model: string;
  messages: Array<{ role: 'system' | 'user'; content: string | TextPart[] }>;
  /** Only where the model applies it (model catalog). */
  temperature?: number;
  max_tokens: number;
  /** OpenRouter's unified reasoning control, for reasoning models. */
  reasoning?: { effort: string };
  response_format: { type: 'json_object' };
}

/** The batch API's endpoint value (OpenRouter's `Endpoint` enum), not a URL path of ours. */
export const OPENROUTER_BATCH_ENDPOINT = '/v1/chat/completions';

export interface OpenRouterBatchBody {
  endpoint: typeof OPENROUTER_BATCH_ENDPOINT;
  model: string;
  requests: Array<{ custom_id: string; body: OpenRouterChatBody }>;
  /** Called on batch.completed|failed|cancelled|expired (production-realism.md). */
  callback_url?: string;
}

/** JSON object mode only guarantees JSON; the keys are asked for in words (OpenAI also requires the word "JSON"). */
const JSON_INSTRUCTION =
  'Reply with one JSON object with exactly these keys: "winner" ("Essay A" or "Essay B"), "justification" ' +
  '(string) and "confidence" (number from 1 to 5).';

/**
 * Providers behind OpenRouter that cache only at explicit breakpoints (Anthropic, Gemini); the others cache a
 * repeated prefix on their own.
 */
const BREAKPOINT_CACHING = /^(anthropic|google)\//;

/**
 * One chat completion in JSON object mode. The shared instructions are a separate first text part, marked as a
 * cache breakpoint where the routed provider needs one; the essays follow in their own part.
 */
export function toOpenRouterChatBody(prompt: ComparisonPrompt, config: RequestSettings): OpenRouterChatBody {
  const settings = judgeSettings('openrouter', config);
  const shared: TextPart = { type: 'text', text: prompt.sharedInstructions };
  if (BREAKPOINT_CACHING.test(config.model)) shared.cache_control = { type: 'ephemeral' };
  return {
    model: config.model,
    messages: [
      { role: 'system', content: `${prompt.system}\n\n${JSON_INSTRUCTION}` },
      { role: 'user', content: [shared, { type: 'text', text: prompt.itemText }] },
    ],
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    max_tokens: settings.max_output_tokens,
    ...(settings.reasoning.kind === 'openai_effort'
      ? { reasoning: { effort: settings.reasoning.judge_effort } }
      : {}),
    response_format: { type: 'json_object' },
  };
}

/** `endpoint` and `model` come before `requests`: the API stream-parses the body and answers 400 otherwise. */
export function toOpenRouterBatchBody(
  model: string,
  requests: Array<{ custom_id: string; body: OpenRouterChatBody }>,
  callbackUrl?: string,
): OpenRouterBatchBody {
  return {
    endpoint: OPENROUTER_BATCH_ENDPOINT,
    model,
    requests,
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
  };
}
