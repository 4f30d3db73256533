import type { ResolvedLlmConfig } from '#contracts';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { judgeSettings } from '../core/model-catalog.js';
import { COMPARISON_ANSWER_SCHEMA, COMPARISON_SCHEMA_NAME, type ComparisonPrompt } from '../core/prompt.js';

export const CHAT_COMPLETIONS_URL = '/v1/chat/completions';

/** One line of a Batch API input file. */
export interface OpenAIBatchLine {
  custom_id: string;
  method: 'POST';
  url: typeof CHAT_COMPLETIONS_URL;
  body: ChatCompletionCreateParamsNonStreaming;
}

/** Reasoning models (o-series, gpt-5 family) reject any temperature but the default (model catalog). */
export function acceptsTemperature(model: string): boolean {
  return judgeSettings('openai', { model, temperature: 1, max_tokens: 1 }).temperature !== undefined;
}

/**
 * One Chat Completions request. The answer is forced by a strict json_schema response format. OpenAI caches
 * prompt prefixes automatically, so the shared part (system + shared instructions) leads and the essays follow
 * as a separate content part. Reasoning tokens count against `max_completion_tokens`, so a reasoning model gets
 * the catalog's allowance on top of the answer's max tokens and the judge task's `reasoning_effort`.
 */
export function toChatCompletionParams(
  prompt: ComparisonPrompt,
  config: Pick<ResolvedLlmConfig, 'model' | 'temperature' | 'max_tokens'>,
): ChatCompletionCreateParamsNonStreaming {
  const settings = judgeSettings('openai', config);
  return {
    model: config.model,
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.reasoning.kind === 'openai_effort'
      ? { reasoning_effort: settings.reasoning.judge_effort }
      : {}),
    max_completion_tokens: settings.max_output_tokens,
    messages: [
      { role: 'system', content: prompt.system },
      {
        role: 'user',
        content: [
          { type: 'text', text: prompt.sharedInstructions },
          { type: 'text', text: prompt.itemText },
        ],
      },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: COMPARISON_SCHEMA_NAME, schema: COMPARISON_ANSWER_SCHEMA, strict: true },
    },
  };
}

export function toBatchLine(
  customId: string,
  prompt: ComparisonPrompt,
  config: Pick<ResolvedLlmConfig, 'model' | 'temperature' | 'max_tokens'>,
): OpenAIBatchLine {
  return {
    custom_id: customId,
    method: 'POST',
    url: CHAT_COMPLETIONS_URL,
    body: toChatCompletionParams(prompt, config),
  };
}

/** The input file: one JSON object per line. */
export function toJsonl(lines: readonly OpenAIBatchLine[]): string {
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}
