import type { CJBatchKind, CJFailureReason } from '#contracts';
import { attemptCount, currentAttempt, roundAttemptCount } from './assessment-state.js';
import type { AssessmentRecord } from '#assessment-store';

export interface FailurePolicy {
  /** Whole-batch resubmissions allowed after a failed or expired batch. */
  batchRetries: number;
  /** Share of all pairs that must have a successful judgement. */
  minSuccessRate: number;
}

export type NextStep =
  | { type: 'wait' }
  | { type: 'submit'; kind: CJBatchKind; pairIndexes: number[] | null; round?: number }
  /** Adaptive: the round's batch is in; decide the next round (or stop the rounds). */
  | { type: 'round' }
  | { type: 'score' }
  | { type: 'fail'; reason: CJFailureReason; message: string };

/**
 * What to do once the current batch has reported (all-or-nothing policy):
 * - failed/expired/canceled → the same batch again as a whole (same provider), up to `batchRetries` times, then fail;
 * - adaptive, rounds not stopped yet → decide the next round (its per-item errors wait for the follow-up);
 * - completed with per-item errors → those pairs once as a follow-up batch;
 * - afterwards, fail if the success rate is below the minimum, else score.
 * `resultsComplete` says whether every result the batch reported has been stored.
 */
export function nextStep(
  record: AssessmentRecord,
  succeededPairs: ReadonlySet<number>,
  resultsComplete: boolean,
  policy: FailurePolicy,
): NextStep {
  const attempt = currentAttempt(record);
  if (attempt.status === 'submitting' || attempt.status === 'accepted') return { type: 'wait' };
  if (attempt.status !== 'completed') {
    if (roundAttemptCount(record, attempt) <= policy.batchRetries) {
      return {
        type: 'submit',
        kind: attempt.kind,
        pairIndexes: attempt.pair_indexes,
        ...(attempt.round === undefined ? {} : { round: attempt.round }),
      };
    }
    const tries = roundAttemptCount(record, attempt);
    return {
      type: 'fail',
      reason: 'BATCH_FAILED',
      message: `the ${attempt.kind === 'main' ? 'assessment' : 'follow-up'} batch ended ${attempt.status} on all ${tries} attempt(s)`,
    };
  }
  if (!resultsComplete) return { type: 'wait' };
  if (record.adaptive && record.adaptive.stop_reason === null && attempt.kind === 'main')
    return { type: 'round' };

  const missing: number[] = [];
  for (let index = 0; index < record.pair_count; index++) if (!succeededPairs.has(index)) missing.push(index);
  if (missing.length === 0) return { type: 'score' };
  if (attemptCount(record, 'follow_up') === 0)
    return { type: 'submit', kind: 'follow_up', pairIndexes: missing };

  const rate = succeededPairs.size / record.pair_count;
  if (rate + 1e-12 < policy.minSuccessRate) {
    return {
      type: 'fail',
      reason: 'INSUFFICIENT_COMPARISONS',
      message: `${succeededPairs.size} of ${record.pair_count} comparisons succeeded (${(rate * 100).toFixed(1)}%), below the minimum ${(policy.minSuccessRate * 100).toFixed(1)}%`,
    };
  }
  return { type: 'score' };
}
