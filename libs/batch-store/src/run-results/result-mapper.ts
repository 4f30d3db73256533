import type { ErrorCode, LLMComparisonResultV1 } from '#contracts';
import type { BatchRecord, StoredComparison, StoredResult } from '../batch.types.js';
import type { BatchComparisonOutcome, ComparisonResponse, ProviderError } from '#llm-providers';

export const SOURCE_SERVICE = 'llm-batch-service';

/** request_id of a result: the queue id for the individual endpoint, the comparison id inside a batch. */
function requestIdOf(record: BatchRecord, request: StoredComparison): string {
  return record.kind === 'single' ? record.batch_id : request.comparison_id;
}

/**
 * The fields every result starts with, as a fresh object the caller completes with Object.assign. Not
 * `{ ...common(), winner, … }`: on Node 20's V8 each property added to an object made by a leading spread takes a
 * slow path (~2–3 µs each on the 2-core machine), and building these was the worker's largest single cost for a
 * 10,000-result batch (bench/hot-object-shapes.bench.ts).
 */
function common(record: BatchRecord, request: StoredComparison) {
  return {
    request_id: requestIdOf(record, request),
    correlation_id: record.correlation_id,
    requested_at: record.created_at,
    request_metadata: request.metadata ?? {},
    batch_id: record.batch_id,
    comparison_id: request.comparison_id,
  };
}

export function successResult(
  record: BatchRecord,
  request: StoredComparison,
  response: ComparisonResponse,
  now: Date,
): StoredResult {
  const result: LLMComparisonResultV1 = Object.assign(common(record, request), {
    winner: response.answer.winner,
    justification: response.answer.justification.slice(0, 500),
    confidence: response.answer.confidence,
    provider: response.provider,
    model: response.model,
    served_model: response.served_model,
    response_time_ms: response.response_time_ms,
    token_usage: response.usage,
    cost_estimate: response.cost.cost_usd,
    completed_at: now.toISOString(),
  } satisfies Partial<LLMComparisonResultV1>);
  return {
    index: request.index,
    comparison_id: request.comparison_id,
    result,
    individual_cost_usd: response.cost.individual_cost_usd,
  };
}

export interface ItemFailure {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export function failureResult(
  record: BatchRecord,
  request: StoredComparison,
  failure: ItemFailure,
  now: Date,
): StoredResult {
  const result: LLMComparisonResultV1 = Object.assign(common(record, request), {
    error_detail: {
      error_code: failure.code,
      message: failure.message,
      correlation_id: record.correlation_id,
      timestamp: now.toISOString(),
      service: SOURCE_SERVICE,
      operation: record.mode === 'batch' && record.kind === 'batch' ? 'batch_comparison' : 'comparison',
      ...(failure.details ? { details: failure.details } : {}),
    },
    provider: record.config.provider,
    model: record.config.model,
    response_time_ms: 0,
    token_usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    cost_estimate: 0,
    completed_at: now.toISOString(),
  } satisfies Partial<LLMComparisonResultV1>);
  return { index: request.index, comparison_id: request.comparison_id, result, individual_cost_usd: 0 };
}

export function failureOf(error: ProviderError): ItemFailure {
  return {
    code: error.code,
    message: error.message,
    details: {
      retryable: error.retryable,
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.details ?? {}),
    },
  };
}

/** A provider outcome as stored results in input order (every request gets exactly one). */
export function outcomeToResults(
  record: BatchRecord,
  requests: StoredComparison[],
  outcome: BatchComparisonOutcome,
  now: Date,
): StoredResult[] {
  const responses = new Map(outcome.responses.map((r) => [r.comparison_id, r]));
  const errors = new Map(outcome.errors.map((e) => [e.comparison_id, e.error]));
  return requests.map((request) => {
    const response = responses.get(request.comparison_id);
    if (response) return successResult(record, request, response, now);
    const error = errors.get(request.comparison_id);
    const failure: ItemFailure = error
      ? failureOf(error)
      : { code: 'INVALID_RESPONSE', message: 'The provider returned no result for this comparison' };
    return failureResult(record, request, failure, now);
  });
}

/**
 * One chunk of a provider outcome as stored results, in the chunk's order: each item is matched to its request
 * by comparison id (ids the batch does not hold are ignored).
 */
export function chunkToResults(
  record: BatchRecord,
  requests: ReadonlyMap<string, StoredComparison>,
  chunk: BatchComparisonOutcome,
  now: Date,
): StoredResult[] {
  const results: StoredResult[] = [];
  for (const response of chunk.responses) {
    const request = requests.get(response.comparison_id);
    if (request) results.push(successResult(record, request, response, now));
  }
  for (const { comparison_id, error } of chunk.errors) {
    const request = requests.get(comparison_id);
    if (request) results.push(failureResult(record, request, failureOf(error), now));
  }
  return results;
}
