import type { LlmConfigOverrides } from '#contracts';
import { normalizeProviderError, type LlmProvider, type ProviderError } from '#llm-providers';
import type { BatchRecord, StoredComparison, StoredResult } from '../batch.types.js';
import { toComparisonRequest } from './request-conversion.js';
import { failureOf, failureResult, successResult } from './result-mapper.js';

/** Provider answers that pause the provider (or its model) instead of failing the comparison. */
const PAUSING_CODES = new Set(['RATE_LIMIT', 'CIRCUIT_OPEN']);

/** One comparison's call: its result to store (a success or a failure), or the error that pauses its provider. */
export type OneJudgement = { kind: 'result'; stored: StoredResult } | { kind: 'pause'; error: ProviderError };

/** Calls the provider for one stored comparison of `record`, as every individual run does (worker or API). */
export async function judgeOne(
  provider: LlmProvider,
  record: BatchRecord,
  request: StoredComparison,
  overrides: LlmConfigOverrides,
): Promise<OneJudgement> {
  try {
    const response = await provider.generateComparison(toComparisonRequest(request), overrides);
    return { kind: 'result', stored: successResult(record, request, response, new Date()) };
  } catch (err) {
    const error = normalizeProviderError(err, provider.name);
    if (PAUSING_CODES.has(error.code)) return { kind: 'pause', error };
    return { kind: 'result', stored: failureResult(record, request, failureOf(error), new Date()) };
  }
}
