import type { LLMComparisonResultV1 } from '#contracts';
import type { StoredResult } from '#batch-store';

/** A successful stored result for comparison `index` (test data, like BatchFactory in the style guide). */
export function storedResult(
  index: number,
  comparisonId: string,
  overrides: Partial<LLMComparisonResultV1> = {},
): StoredResult {
  const now = new Date('2026-01-01T00:00:00Z').toISOString();
  return {
    index,
    comparison_id: comparisonId,
    result: {
      request_id: `req-${index}`,
      correlation_id: 'corr-1',
      winner: index % 2 === 0 ? 'Essay A' : 'Essay B',
      justification: 'Clearer structure.',
      confidence: 4,
      provider: 'mock',
      model: 'mock-judge-1',
      response_time_ms: 5,
      token_usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      cost_estimate: 0.001,
      requested_at: now,
      completed_at: now,
      request_metadata: { pair_index: index },
      comparison_id: comparisonId,
      ...overrides,
    },
  };
}
