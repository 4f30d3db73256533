import type {
  CJAssessmentCompletedV1,
  CJAssessmentDesignOutcomeV1,
  CJAssessmentFailedV1,
  CJBatchAttemptV1,
  CJFailureReason,
} from '#contracts';
import {
  chainReliability,
  fitBradleyTerry,
  splitHalfReliability,
  type Judgement,
  type Pair,
} from '#cj-scoring';
import type { AssessmentRecord, StoredResult } from '#assessment-store';
import { chainJudgements } from './adaptive-rounds.js';

/** Random splits for a balanced design's split-half: fewer on very large sets (each split is two full fits). */
const splitsFor = (essays: number) => (essays > 2000 ? 2 : 10);

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
  const judgements = judgementsInPairOrder(pairs, successes);
  const fit = fitBradleyTerry(record.essay_ids, judgements, { ridge });
  const first = successes.values().next().value;
  const cost = knownSum(record.batches.map((b) => reportedCost(b, 'cost_usd')));
  const individual = knownSum(record.batches.map((b) => reportedCost(b, 'individual_cost_usd')));
  return {
    assessment_id: record.assessment_id,
    rankings: fit.scores.map((s) => ({ ...s })),
    ssr: fit.ssr,
    position_bias: fit.position_bias,
    position_effect: fit.position_effect,
    split_half_reliability: splitHalf(record, pairs, successes, judgements),
    design: designOutcome(record),
    provider: record.pinned?.provider ?? first?.provider ?? 'mock',
    model: record.pinned?.model ?? first?.model ?? '',
    comparisons_requested: record.pair_count,
    comparisons_succeeded: successes.size,
    comparisons_failed: record.pair_count - successes.size,
    batches: record.batches.map(publicAttempt),
    cost_usd: cost === null ? null : round(cost),
    individual_cost_usd: individual === null ? null : round(individual),
    savings_usd: cost === null || individual === null ? null : round(individual - cost),
    duration_ms: now.getTime() - Date.parse(record.created_at),
    correlation_id: record.correlation_id,
  };
}

/**
 * Adaptive: the correlation of the two independent chains, stepped up to all judgements (the stopping rule's figure). Balanced: random halves of
 * the judgements, seeded from the assessment id so a re-scoring gives the same value.
 */
function splitHalf(
  record: AssessmentRecord,
  pairs: readonly Pair[],
  successes: ReadonlyMap<number, StoredResult>,
  judgements: readonly Judgement[],
): number | null {
  if (record.adaptive) {
    const [chainA, chainB, joint] = chainJudgements(record, pairs, successes);
    return chainReliability(record.essay_ids, chainA, chainB, {
      totalJudgements: chainA.length + chainB.length + joint.length,
    }).reliability;
  }
  return splitHalfReliability(record.essay_ids, judgements, {
    seed: seedOf(record.assessment_id),
    splits: splitsFor(record.essay_ids.length),
  }).reliability;
}

function designOutcome(record: AssessmentRecord): CJAssessmentDesignOutcomeV1 {
  const adaptive = record.adaptive;
  if (!adaptive) {
    return {
      mode: 'balanced',
      rounds: 1,
      target_reliability: null,
      max_comparisons_per_essay: null,
      stop_reason: 'single_batch',
      round_history: [],
    };
  }
  return {
    mode: 'adaptive',
    rounds: adaptive.rounds.length,
    target_reliability: adaptive.target_reliability,
    max_comparisons_per_essay: adaptive.max_comparisons_per_essay,
    stop_reason: adaptive.stop_reason ?? 'cap_reached',
    round_history: adaptive.rounds.map((r) => ({
      round: r.round,
      comparisons: r.pair_count,
      judgements: r.judgements ?? 0,
      split_half_reliability: r.split_half_reliability,
      ssr: r.ssr,
    })),
  };
}

/** FNV-1a of the id: a stable 31-bit seed. */
function seedOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) & 0x7fffffff;
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
    ...(attempt.round === undefined ? {} : { round: attempt.round }),
  };
}

/**
 * What a batch attempt cost: 0 until its batch reported (nothing is billed for a refused submission), then the
 * reported figure, null when unknown (the model has no known price).
 */
function reportedCost(
  attempt: AssessmentRecord['batches'][number],
  field: 'cost_usd' | 'individual_cost_usd',
): number | null {
  return attempt.reported_count === null ? 0 : attempt[field];
}

/** A total is unknown as soon as one of its parts is: summing the known ones would report a made-up figure. */
function knownSum(values: Array<number | null>): number | null {
  let total = 0;
  for (const value of values) {
    if (value === null) return null;
    total += value;
  }
  return total;
}

/** Costs to a millionth of a dollar: float sums otherwise print as 0.30000000000000004. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
