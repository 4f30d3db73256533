import type { ComparisonAnswer, ErrorCode, TokenUsage } from '#contracts';
import { parseComparisonAnswer } from '../core/answer-parser.js';
import type { NormalisedBatchState } from '../core/llm-provider.js';
import { ProviderError } from '../core/provider-error.js';

export interface GeminiAnswer {
  answer: ComparisonAnswer;
  usage: TokenUsage;
  /** `modelVersion`: may differ from the requested alias (served_model). */
  model?: string;
}

/** A `google.rpc.Status` as a batch reports a failed item (numeric gRPC code). */
export interface GeminiRpcStatus {
  code?: number;
  message?: string;
  status?: string;
}

/** One result of a batch, from `dest.inlinedResponses` or a line of the responses file. */
export interface GeminiBatchResult {
  key?: string;
  response?: unknown;
  error?: GeminiRpcStatus;
}

const FILTERED_FINISH_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
]);

/**
 * Reads a GenerateContentResponse. Works on the SDK's class and on the plain JSON of batch results alike,
 * because it only reads `candidates[0].content.parts[].text` (the `.text` getter does not exist on plain JSON).
 */
export function parseGeminiResponse(response: unknown): GeminiAnswer {
  const record = asRecord(response);
  const blockReason = asRecord(record?.promptFeedback)?.blockReason;
  if (typeof blockReason === 'string') {
    throw new ProviderError('CONTENT_FILTERED', `Gemini blocked the prompt (${blockReason})`);
  }
  const candidates = record?.candidates;
  const first = Array.isArray(candidates) ? asRecord(candidates[0]) : undefined;
  const finishReason = first?.finishReason;
  if (typeof finishReason === 'string' && FILTERED_FINISH_REASONS.has(finishReason)) {
    throw new ProviderError('CONTENT_FILTERED', `Gemini stopped the answer (${finishReason})`);
  }
  const parts = asRecord(first?.content)?.parts;
  const text = Array.isArray(parts)
    ? parts
        .map((part) => asRecord(part))
        .filter((part) => part !== undefined && part.thought !== true && typeof part.text === 'string')
        .map((part) => part!.text as string)
        .join('')
    : '';
  if (finishReason === 'MAX_TOKENS') {
    // Thinking tokens count against maxOutputTokens: the answer is partial or missing.
    const usage = parseGeminiUsage(record?.usageMetadata);
    throw new ProviderError(
      'OUTPUT_TRUNCATED',
      'Gemini stopped at maxOutputTokens before the answer was complete',
      {
        details: { finishReason, reasoning_tokens: usage.reasoning_tokens ?? 0 },
      },
    );
  }
  if (text === '') {
    throw new ProviderError('INVALID_RESPONSE', 'Gemini returned no text candidate', {
      details: { finishReason: finishReason ?? null },
    });
  }
  const modelVersion = record?.modelVersion;
  return {
    answer: parseComparisonAnswer(text),
    usage: parseGeminiUsage(record?.usageMetadata),
    ...(typeof modelVersion === 'string' && modelVersion ? { model: modelVersion } : {}),
  };
}

/** Thinking tokens are billed as output, so they count as completion tokens. */
export function parseGeminiUsage(metadata: unknown): TokenUsage {
  const usage = asRecord(metadata) ?? {};
  const prompt = toCount(usage.promptTokenCount);
  const thoughts = toCount(usage.thoughtsTokenCount);
  const completion = toCount(usage.candidatesTokenCount) + thoughts;
  const cached = toCount(usage.cachedContentTokenCount);
  const total = toCount(usage.totalTokenCount) || prompt + completion;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: total,
    ...(cached ? { cache_read_tokens: cached } : {}),
    ...(thoughts ? { reasoning_tokens: thoughts } : {}),
  };
}

/** gRPC status codes (google.rpc.Code) of a failed batch item → our codes. */
const GRPC_CODES: Record<number, ErrorCode> = {
  1: 'CANCELED',
  3: 'INVALID_REQUEST',
  4: 'TIMEOUT',
  5: 'NOT_FOUND',
  7: 'AUTHENTICATION_ERROR',
  8: 'RATE_LIMIT',
  9: 'INVALID_REQUEST',
  13: 'EXTERNAL_SERVICE_ERROR',
  14: 'EXTERNAL_SERVICE_ERROR',
  16: 'AUTHENTICATION_ERROR',
};

export function geminiItemError(status: GeminiRpcStatus | undefined): ProviderError {
  const code = (status?.code !== undefined && GRPC_CODES[status.code]) || 'EXTERNAL_SERVICE_ERROR';
  return new ProviderError(code, `Gemini batch item failed: ${status?.message ?? 'no message'}`, {
    provider: 'google',
    details: { grpc_code: status?.code ?? null },
  });
}

/** A batch result as an answer or an item error (never thrown: per-item failures are data). */
export function parseGeminiBatchResult(result: GeminiBatchResult): GeminiAnswer | ProviderError {
  if (result.error) return geminiItemError(result.error);
  if (result.response === undefined) {
    return new ProviderError('INVALID_RESPONSE', 'Gemini batch result has neither response nor error', {
      provider: 'google',
    });
  }
  try {
    return parseGeminiResponse(result.response);
  } catch (err) {
    if (err instanceof ProviderError) {
      return new ProviderError(err.code, err.message, { provider: 'google', details: err.details });
    }
    throw err;
  }
}

/** Parses a responses file; lines that are not JSON objects with a key are skipped (their items stay missing). */
export function parseGeminiResultsFile(text: string): GeminiBatchResult[] {
  return text.split('\n').flatMap((line) => parseGeminiResultLine(line) ?? []);
}

/** One line of a responses file, or undefined when it is blank or not a JSON object with a key. */
export function parseGeminiResultLine(line: string): GeminiBatchResult | undefined {
  if (line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const record = asRecord(parsed);
  if (typeof record?.key !== 'string') return undefined;
  return { key: record.key, response: record.response, error: asRecord(record.error) as GeminiRpcStatus };
}

/**
 * The wire says BATCH_STATE_*, the SDK maps those to JOB_STATE_*; both are accepted. An unknown state is read
 * as still running, so it is polled again rather than collected too early.
 */
export function normaliseGeminiState(state: string | undefined): NormalisedBatchState {
  switch ((state ?? '').replace(/^(BATCH|JOB)_STATE_/, '')) {
    case 'PENDING':
    case 'QUEUED':
      return 'validating';
    case 'SUCCEEDED':
    case 'PARTIALLY_SUCCEEDED':
      return 'ended';
    case 'FAILED':
      return 'failed';
    case 'CANCELLING':
      return 'canceling';
    case 'CANCELLED':
      return 'canceled';
    case 'EXPIRED':
      return 'expired';
    default:
      return 'in_progress';
  }
}

function toCount(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
