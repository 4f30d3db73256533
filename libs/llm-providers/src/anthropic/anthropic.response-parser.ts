import type { ComparisonAnswer, ErrorCode, TokenUsage } from '#contracts';
import type { Message, Usage } from '@anthropic-ai/sdk/resources/messages/messages';
import type {
  MessageBatch,
  MessageBatchIndividualResponse,
} from '@anthropic-ai/sdk/resources/messages/batches';
import { parseComparisonAnswer } from '../core/answer-parser.js';
import type { ItemAnswer } from '../core/batch-aggregation.js';
import type { NormalisedBatchState, ProviderBatchStatus } from '../core/llm-provider.js';
import { ProviderError } from '../core/provider-error.js';
import { COMPARISON_TOOL_NAME } from '../core/prompt.js';

export type AnthropicItemOutcome =
  { customId: string; ok: true; parsed: ItemAnswer } | { customId: string; ok: false; error: ProviderError };

/** Anthropic error `type` → our code (https://docs.claude.com/en/api/errors). */
const ERROR_TYPE_CODES: Record<string, ErrorCode> = {
  invalid_request_error: 'INVALID_REQUEST',
  authentication_error: 'AUTHENTICATION_ERROR',
  permission_error: 'AUTHENTICATION_ERROR',
  billing_error: 'INVALID_REQUEST',
  not_found_error: 'NOT_FOUND',
  request_too_large: 'INVALID_REQUEST',
  rate_limit_error: 'RATE_LIMIT',
  timeout_error: 'TIMEOUT',
  api_error: 'EXTERNAL_SERVICE_ERROR',
  overloaded_error: 'EXTERNAL_SERVICE_ERROR',
};

/**
 * Anthropic's `input_tokens` excludes cached tokens; ours counts every input token with the cache counts as
 * subsets (the convention costOf expects).
 */
export function toTokenUsage(
  usage: Pick<Usage, 'input_tokens' | 'output_tokens'> & Partial<Usage>,
): TokenUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const prompt = usage.input_tokens + cacheRead + cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.output_tokens,
    total_tokens: prompt + usage.output_tokens,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
  };
}

/** The forced tool call's input is the answer; a refusal or a missing/invalid call is an item error. */
export function parseAnthropicMessage(message: Message): ItemAnswer {
  if (message.stop_reason === 'refusal') {
    throw new ProviderError('CONTENT_FILTERED', 'the model refused to compare these essays', {
      provider: 'anthropic',
    });
  }
  if (message.stop_reason === 'max_tokens') {
    // Thinking counts against max_tokens; a tool call cut off there has incomplete input.
    throw new ProviderError(
      'OUTPUT_TRUNCATED',
      'the answer hit max_tokens before the tool call was complete',
      {
        provider: 'anthropic',
        details: { output_tokens: message.usage.output_tokens },
      },
    );
  }
  const toolCall = message.content.find(
    (block) => block.type === 'tool_use' && block.name === COMPARISON_TOOL_NAME,
  );
  if (!toolCall || toolCall.type !== 'tool_use') {
    throw new ProviderError(
      'INVALID_RESPONSE',
      `no ${COMPARISON_TOOL_NAME} tool call (stop: ${message.stop_reason})`,
      {
        provider: 'anthropic',
      },
    );
  }
  let answer: ComparisonAnswer;
  try {
    answer = parseComparisonAnswer(toolCall.input);
  } catch (err) {
    throw asProviderError(err);
  }
  return { answer, usage: toTokenUsage(message.usage), model: message.model };
}

/** One results-JSONL line → the item's answer or its typed error. */
export function parseAnthropicResultLine(line: MessageBatchIndividualResponse): AnthropicItemOutcome {
  const customId = line.custom_id;
  const result = line.result;
  switch (result.type) {
    case 'succeeded':
      try {
        return { customId, ok: true, parsed: parseAnthropicMessage(result.message) };
      } catch (err) {
        return { customId, ok: false, error: asProviderError(err) };
      }
    case 'errored': {
      const detail = result.error.error;
      const code = ERROR_TYPE_CODES[detail.type] ?? 'EXTERNAL_SERVICE_ERROR';
      const error = new ProviderError(code, detail.message, {
        provider: 'anthropic',
        details: { error_type: detail.type },
      });
      return { customId, ok: false, error };
    }
    case 'expired':
      return {
        customId,
        ok: false,
        error: unfinishedError('BATCH_EXPIRED', 'batch expired before the item ran'),
      };
    case 'canceled':
      return {
        customId,
        ok: false,
        error: unfinishedError('CANCELED', 'batch canceled before the item ran'),
      };
  }
}

export function unfinishedError(code: 'BATCH_EXPIRED' | 'CANCELED', message: string): ProviderError {
  return new ProviderError(code, message, { provider: 'anthropic' });
}

/**
 * Anthropic has one terminal status (`ended`); the counts say how it ended. A canceled batch reports `canceled`,
 * one with expired items `expired` (its finished items are still collected), anything else `ended`.
 */
export function toNormalisedState(
  batch: Pick<MessageBatch, 'processing_status' | 'request_counts' | 'cancel_initiated_at'>,
): NormalisedBatchState {
  switch (batch.processing_status) {
    case 'in_progress':
      return 'in_progress';
    case 'canceling':
      return 'canceling';
    case 'ended':
      if (batch.cancel_initiated_at) return 'canceled';
      return batch.request_counts.expired > 0 ? 'expired' : 'ended';
  }
}

export function toStatusCounts(counts: MessageBatch['request_counts']): ProviderBatchStatus['counts'] {
  return {
    total: counts.processing + counts.succeeded + counts.errored + counts.canceled + counts.expired,
    succeeded: counts.succeeded,
    failed: counts.errored,
    processing: counts.processing,
    expired: counts.expired,
    canceled: counts.canceled,
  };
}

function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) {
    return new ProviderError(err.code, err.message, {
      provider: 'anthropic',
      details: err.details,
      cause: err,
    });
  }
  return new ProviderError('INVALID_RESPONSE', `unreadable answer: ${String(err)}`, {
    provider: 'anthropic',
  });
}
