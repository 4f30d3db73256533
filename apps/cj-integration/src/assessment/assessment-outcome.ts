import type {
  CJAssessmentCompletedV1,
  CJAssessmentFailedV1,
  CJBatchAttemptV1,
  CJFailureReason,
} from '#contracts';
import { fitBradleyTerry, type Judgement, type Pair } from '#cj-scoring';
import type { AssessmentRecord, StoredResult } from '#assessment-store';

/**
 * Judgements in the original pair-generation order (never arrival order), so the fit sees the same input however
 * the results arrived.
 */
export function judgementsInPairOrder(
  pairs: readonly Pair[],
  successes: ReadonlyMap<number, StoredResult>,
): Judgement[] {
  return [...pairs]
    .sort((a, b) => a.pair_index - b.pair_index)
    .flatMap((pair) => {
      const result = successes.get(pair.pair_index);
      return result?.winner ? [{ essay_a: pair.essay_a, essay_b: pair.essay_b, winner: result.winner }] : [];
    });
}

export function completedOutcome(
  record: AssessmentRecord,
  pairs: readonly Pair[],
  successes: ReadonlyMap<number, StoredResult>,
  now: Date,
  ridge: number,
): CJAssessmentCompletedV1 {
  const fit = fitBradleyTerry(record.essay_ids, judgementsInPairOrder(pairs, successes), { ridge });
  const first = successes.values().next().value;
  const cost = sum(record.batches.map((b) => b.cost_usd ?? 0));
  const individual = sum(record.batches.map((b) => b.individual_cost_usd ?? b.cost_usd ?? 0));
  return {
    assessment_id: record.assessment_id,
    rankings: fit.scores.map((s) => ({ ...s })),
    ssr: fit.ssr,
    position_bias: fit.position_bias,
    position_effect: fit.position_effect,
    provider: record.pinned?.provider ?? first?.provider ?? 'mock',
    model: record.pinned?.model ?? first?.model ?? '',
    comparisons_requested: record.pair_count,
    comparisons_succeeded: successes.size,
    comparisons_failed: record.pair_count - successes.size,
    batches: record.batches.map(publicAttempt),
    cost_usd: round(cost),
    individual_cost_usd: round(individual),
    savings_usd: round(individual - cost),
    duration_ms: now.getTime() - Date.parse(record.created_at),
    correlation_id: record.correlation_id,
  };
}

export function failedOutcome(
  record: AssessmentRecord,
  reason: CJFailureReason,
  message: string,
  succeeded: number,
  details?: Record<string, unknown>,
): CJAssessmentFailedV1 {
  return {
    assessment_id: record.assessment_id,
    reason_code: reason,
    message,
    ...(details ? { details } : {}),
    batches: record.batches.map(publicAttempt),
    provider: record.pinned?.provider ?? record.llm_config.provider_override ?? null,
    model: record.pinned?.model ?? record.llm_config.model_override ?? null,
    comparisons_requested: record.pair_count,
    comparisons_succeeded: succeeded,
    comparisons_failed: record.pair_count - succeeded,
    correlation_id: record.correlation_id,
  };
}

function publicAttempt(attempt: AssessmentRecord['batches'][number]): CJBatchAttemptV1 {
  return {
    batch_id: attempt.batch_id,
    kind: attempt.kind,
    attempt: attempt.attempt,
    comparison_count: attempt.comparison_count,
    status: attempt.status,
    succeeded: attempt.succeeded,
    failed: attempt.failed,
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Costs to a millionth of a dollar: float sums otherwise print as 0.30000000000000004. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
