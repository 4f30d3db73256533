import type { AssessmentRecord, BatchAttempt } from '#assessment-store';

/** Why a result or batch event was not accepted for an assessment (the label of `cj_results_rejected_total`). */
export type RejectionReason =
  | 'no_assessment_metadata'
  | 'unknown_assessment'
  | 'assessment_closed'
  | 'unknown_attempt'
  | 'wrong_batch'
  | 'pair_index_out_of_range';

export type Admission =
  | { admitted: true; attempt: BatchAttempt }
  | { admitted: false; reason: RejectionReason }
  /** The attempt is still being submitted: its batch id is not recorded yet, so the result cannot be judged now. */
  | { admitted: false; reason: 'attempt_not_accepted_yet' };

/**
 * Whether a result may count for an assessment. The metadata (assessment, attempt, pair index) is the caller's
 * echo and proves nothing on its own; what does is the batch id, which the comparison service assigned when it
 * accepted THIS attempt: a result is admitted only from that batch, with a pair index of the attempt's design.
 */
export function admitResult(
  record: AssessmentRecord,
  attemptId: string,
  batchId: string | undefined,
  pairIndex: number,
): Admission {
  const attempt = record.batches.find((b) => b.correlation_id === attemptId);
  if (!attempt) return { admitted: false, reason: 'unknown_attempt' };
  if (attempt.batch_id === '') {
    return attempt.status === 'submitting'
      ? { admitted: false, reason: 'attempt_not_accepted_yet' }
      : { admitted: false, reason: 'wrong_batch' };
  }
  if (typeof batchId !== 'string' || batchId !== attempt.batch_id)
    return { admitted: false, reason: 'wrong_batch' };
  if (!Number.isInteger(pairIndex) || pairIndex < 0 || pairIndex >= record.pair_count) {
    return { admitted: false, reason: 'pair_index_out_of_range' };
  }
  if (attempt.pair_indexes !== null && !sortedIncludes(attempt.pair_indexes, pairIndex)) {
    return { admitted: false, reason: 'pair_index_out_of_range' };
  }
  return { admitted: true, attempt };
}

/** The attempt a batch-completed event belongs to: only the one whose recorded batch id it carries. */
export function admitBatchEvent(record: AssessmentRecord, batchId: string, correlationId: string): Admission {
  const attempt = record.batches.find((b) => b.batch_id !== '' && b.batch_id === batchId);
  if (attempt) return { admitted: true, attempt };
  const pending = record.batches.find((b) => b.correlation_id === correlationId && b.status === 'submitting');
  return pending
    ? { admitted: false, reason: 'attempt_not_accepted_yet' }
    : { admitted: false, reason: 'wrong_batch' };
}

/** Pair indexes of an attempt are stored ascending: binary search keeps admission O(log n) per result. */
function sortedIncludes(sorted: readonly number[], value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] === value) return true;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Thrown so Kafka delivers the event again: its attempt is being submitted and will know its batch id shortly. */
export class AttemptNotAcceptedYetError extends Error {
  readonly code = 'ATTEMPT_NOT_ACCEPTED_YET' as const;
  readonly retryable = true;

  constructor(assessmentId: string, batchId: string) {
    super(`assessment ${assessmentId}: an event of batch ${batchId} arrived before its attempt was accepted`);
    this.name = 'AttemptNotAcceptedYetError';
  }
}
