import type { TokenUsage } from '#contracts';
import { parseComparisonAnswer } from '../core/answer-parser.js';
import type { ItemAnswer } from '../core/batch-aggregation.js';
import type { NormalisedBatchState } from '../core/llm-provider.js';
import { ProviderError } from '../core/provider-error.js';

/** One entry of `results` in a terminal batch object. */
export interface OpenRouterBatchResult {
  custom_id?: string;
  response?: { status_code?: number; body?: unknown } | null;
  error?: { message?: string; type?: string } | null;
}

/** Reads a chat.completion in JSON object mode: `choices[0].message.content` is the answer's JSON text. */
export function parseOpenRouterCompletion(body: unknown): ItemAnswer {
  const record = asRecord(body);
  const error = asRecord(record?.error);
  if (error) {
    throw new ProviderError(
      'EXTERNAL_SERVICE_ERROR',
      `OpenRouter: ${String(error.message ?? 'upstream error')}`,
    );
  }
  const choice = Array.isArray(record?.choices) ? asRecord(record.choices[0]) : undefined;
  if (choice?.finish_reason === 'content_filter') {
    throw new ProviderError('CONTENT_FILTERED', 'OpenRouter: the answer was filtered');
  }
  if (choice?.finish_reason === 'length') {
    throw new ProviderError(
      'OUTPUT_TRUNCATED',
      'OpenRouter: the answer hit max_tokens before it was complete',
    );
  }
  const content = asRecord(choice?.message)?.content;
  if (typeof content !== 'string' || content.trim() === '') {
    throw new ProviderError('INVALID_RESPONSE', 'OpenRouter returned no message content');
  }
  const model = typeof record?.model === 'string' ? record.model : undefined;
  const billed = billedCost(record?.usage);
  return {
    answer: parseComparisonAnswer(content),
    usage: parseOpenRouterUsage(record?.usage),
    ...(model ? { model } : {}),
    ...(billed !== undefined ? { billed_cost_usd: billed } : {}),
  };
}

/**
 * `usage.cost`: what OpenRouter billed for the request, in credits, which are US dollars
 * (openrouter.ai/docs/use-cases/usage-accounting: every response carries "Cost in credits"). A batch item's figure
 * already has the batch price in it.
 */
function billedCost(value: unknown): number | undefined {
  const cost = asRecord(value)?.cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

export function parseOpenRouterUsage(value: unknown): TokenUsage {
  const usage = asRecord(value) ?? {};
  const details = asRecord(usage.prompt_tokens_details) ?? {};
  const prompt = count(usage.prompt_tokens);
  const completion = count(usage.completion_tokens);
  const cacheRead = count(details.cached_tokens);
  const cacheWrite = count(details.cache_write_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: count(usage.total_tokens) || prompt + completion,
    ...(cacheRead ? { cache_read_tokens: cacheRead } : {}),
    ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}),
  };
}

/** A batch result as an answer or that item's error (never thrown: per-item failures are data). */
export function parseOpenRouterBatchResult(result: OpenRouterBatchResult): ItemAnswer | ProviderError {
  if (result.error) {
    const code = result.error.type === 'invalid_request_error' ? 'INVALID_REQUEST' : 'EXTERNAL_SERVICE_ERROR';
    return new ProviderError(code, `OpenRouter batch item failed: ${result.error.message ?? 'no message'}`, {
      provider: 'openrouter',
      details: { type: result.error.type ?? null },
    });
  }
  const status = result.response?.status_code ?? 0;
  if (status < 200 || status >= 300) {
    return new ProviderError('EXTERNAL_SERVICE_ERROR', `OpenRouter batch item answered HTTP ${status}`, {
      provider: 'openrouter',
      status: status || undefined,
    });
  }
  try {
    return parseOpenRouterCompletion(result.response?.body);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return new ProviderError(err.code, err.message, { provider: 'openrouter', details: err.details });
  }
}

/** OpenRouter's batch statuses; an unknown one is read as still running so it is polled again. */
export function normaliseOpenRouterStatus(status: string | undefined): NormalisedBatchState {
  switch (status) {
    case 'validating':
      return 'validating';
    case 'finalizing':
      return 'finalizing';
    case 'completed':
      return 'ended';
    case 'failed':
      return 'failed';
    case 'expired':
      return 'expired';
    case 'cancelling':
      return 'canceling';
    case 'cancelled':
      return 'canceled';
    default:
      return 'in_progress';
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
