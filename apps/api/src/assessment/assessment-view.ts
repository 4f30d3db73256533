import type {
  AssessmentBatchDto,
  AssessmentJudgementDto,
  AssessmentResultDto,
  AssessmentStatusDto,
  AssessmentStatusValue,
  CJAssessmentCompletedV1,
  CJAssessmentFailedV1,
} from '#contracts';
import { EVENT_TYPES } from '#contracts';
import type { AssessmentRecord, BatchAttempt, StoredResult, StoredSubmission } from '#assessment-store';
import type { Pair } from '#cj-scoring';
import { statusUrlOfAssessment } from '../config/api-settings.js';

/** Everything the API knows about one assessment, read from the shared store. */
export interface AssessmentState {
  stored: StoredSubmission;
  /** cj-integration's record; null while the request is still in Kafka (or was refused). */
  record: AssessmentRecord | null;
  cancelRequestedAt: string | null;
  /** Results stored so far per batch attempt (correlation id → count), for attempts that have not reported. */
  resultCounts: ReadonlyMap<string, number>;
}

/** Fields later versions of the record and the outcome may carry (adaptive rounds, split-half reliability). */
type WithRound = BatchAttempt & { round?: number };
type CompletedOutcome = CJAssessmentCompletedV1;

export function assessmentStatus(state: AssessmentState): AssessmentStatusValue {
  const { record, stored, cancelRequestedAt } = state;
  if (!record) return stored.refusal ? 'failed' : cancelRequestedAt ? 'cancelling' : 'queued';
  if (record.status === 'completed') return 'completed';
  if (record.status === 'failed')
    return failedOutcome(record)?.reason_code === 'CANCELLED' ? 'cancelled' : 'failed';
  return cancelRequestedAt ? 'cancelling' : 'running';
}

export function toAssessmentStatus(state: AssessmentState): AssessmentStatusDto {
  const { stored, record } = state;
  const { submission } = stored;
  const id = submission.assessment_id;
  const completed = record ? completedOutcome(record) : null;
  const failed = record ? failedOutcome(record) : stored.refusal;
  const actual = record ? actualCost(record) : { cost: 0, individual: 0 };
  const config = record?.llm_config ?? {};
  return {
    assessment_id: id,
    status: assessmentStatus(state),
    correlation_id: submission.correlation_id,
    accepted_at: submission.accepted_at,
    essay_count: record?.essay_ids.length ?? 0,
    ...(state.cancelRequestedAt ? { cancel_requested_at: state.cancelRequestedAt } : {}),
    progress: progressOf(record, state.resultCounts),
    config: {
      provider: record?.pinned?.provider ?? config.provider_override ?? submission.quote?.provider ?? null,
      model: record?.pinned?.model ?? config.model_override ?? submission.quote?.model ?? null,
      ...(config.temperature_override !== undefined ? { temperature: config.temperature_override } : {}),
      ...(config.max_tokens_override !== undefined ? { max_tokens: config.max_tokens_override } : {}),
      system_prompt_override: Boolean(config.system_prompt_override),
    },
    cost: {
      quote: submission.quote,
      actual_cost_usd: completed ? completed.cost_usd : actual.cost,
      individual_cost_usd: completed ? completed.individual_cost_usd : actual.individual,
      savings_usd: completed
        ? completed.savings_usd
        : actual.cost === null || actual.individual === null
          ? null
          : round(actual.individual - actual.cost),
    },
    ...(completed ? { result: toResult(completed) } : {}),
    ...(failed ? { error: { reason_code: failed.reason_code, message: failed.message } } : {}),
    report_url: `${statusUrlOfAssessment(id)}/report`,
    judgements_url: `${statusUrlOfAssessment(id)}/judgements`,
  };
}

function toResult(outcome: CompletedOutcome): AssessmentResultDto {
  const splitHalf = outcome.split_half_reliability;
  return {
    rankings: outcome.rankings.map((r) => ({ ...r })),
    ssr: outcome.ssr,
    ...(splitHalf !== undefined ? { split_half_reliability: splitHalf } : {}),
    position_bias: outcome.position_bias,
    ...(outcome.position_effect !== undefined ? { position_effect: outcome.position_effect } : {}),
    comparisons_requested: outcome.comparisons_requested,
    comparisons_succeeded: outcome.comparisons_succeeded,
    comparisons_failed: outcome.comparisons_failed,
    duration_ms: outcome.duration_ms,
  };
}

/**
 * Per round: the newest whole-batch attempt counts (earlier ones failed as a whole) plus its follow-ups. A batch
 * that has reported counts its final numbers; one still running counts the results stored so far.
 */
function progressOf(record: AssessmentRecord | null, resultCounts: ReadonlyMap<string, number>) {
  const batches = (record?.batches ?? []) as WithRound[];
  const rounds = new Map<number, WithRound[]>();
  for (const attempt of batches) {
    const round = attempt.round ?? 1;
    rounds.set(round, [...(rounds.get(round) ?? []), attempt]);
  }
  let done = 0;
  let failed = 0;
  const count = (a: WithRound) =>
    a.reported_count !== null ? a.succeeded : (resultCounts.get(a.correlation_id) ?? 0);
  for (const attempts of rounds.values()) {
    const main = attempts.filter((a) => a.kind === 'main').at(-1);
    const followUps = attempts.filter((a) => a.kind === 'follow_up');
    const recovered = followUps.reduce((sum, a) => sum + (a.reported_count !== null ? a.succeeded : 0), 0);
    done += (main ? count(main) : 0) + followUps.reduce((sum, a) => sum + count(a), 0);
    if (main?.reported_count !== null && main) failed += Math.max(0, main.failed - recovered);
  }
  const total = record?.pair_count ?? 0;
  return {
    comparisons_total: total,
    comparisons_done: Math.min(total, done),
    comparisons_failed: failed,
    rounds: rounds.size,
    batches: batches.map((a): AssessmentBatchDto => ({
      batch_id: a.batch_id,
      kind: a.kind,
      attempt: a.attempt,
      ...(a.round !== undefined ? { round: a.round } : {}),
      comparison_count: a.comparison_count,
      status: a.status,
      succeeded: a.reported_count !== null ? a.succeeded : (resultCounts.get(a.correlation_id) ?? 0),
      failed: a.failed,
    })),
  };
}

/**
 * Judgements of some pairs, in pair order, as the scoring sees them: a winner from a batch that completed (or is
 * still running) counts; a batch that failed as a whole contributes nothing (all-or-nothing).
 */
export function toJudgements(
  pairs: readonly Pair[],
  record: AssessmentRecord | null,
  resultsByAttempt: ReadonlyMap<string, ReadonlyMap<number, StoredResult>>,
): AssessmentJudgementDto[] {
  const usable = (record?.batches ?? []).filter((a) =>
    ['submitting', 'accepted', 'completed'].includes(a.status),
  );
  return pairs.map((pair) => {
    let chosen: StoredResult | undefined;
    for (const attempt of usable) {
      const result = resultsByAttempt.get(attempt.correlation_id)?.get(pair.pair_index);
      if (!result) continue;
      if (result.winner) {
        chosen = result;
        break;
      }
      chosen ??= result;
    }
    const winner = chosen?.winner ?? null;
    return {
      pair_index: pair.pair_index,
      essay_a: pair.essay_a,
      essay_b: pair.essay_b,
      status: !chosen ? 'pending' : winner ? 'judged' : 'failed',
      winner,
      winner_essay_id: winner === 'Essay A' ? pair.essay_a : winner === 'Essay B' ? pair.essay_b : null,
      ...(chosen?.justification !== undefined ? { justification: chosen.justification } : {}),
      ...(chosen?.confidence !== undefined ? { confidence: chosen.confidence } : {}),
      ...(chosen && !winner ? { error_code: chosen.error_code } : {}),
    };
  });
}

function completedOutcome(record: AssessmentRecord): CompletedOutcome | null {
  return record.outcome?.event_type === EVENT_TYPES.assessmentCompleted
    ? (record.outcome.data as CompletedOutcome)
    : null;
}

function failedOutcome(record: AssessmentRecord): CJAssessmentFailedV1 | null {
  return record.outcome?.event_type === EVENT_TYPES.assessmentFailed
    ? (record.outcome.data as CJAssessmentFailedV1)
    : null;
}

/** Spent so far: batches that have not reported count 0; one reported unknown (null) makes the total unknown. */
function actualCost(record: AssessmentRecord): { cost: number | null; individual: number | null } {
  let cost: number | null = 0;
  let individual: number | null = 0;
  for (const b of record.batches) {
    if (b.reported_count === null) continue;
    cost = cost === null || b.cost_usd === null ? null : cost + b.cost_usd;
    individual =
      individual === null || b.individual_cost_usd === null ? null : individual + b.individual_cost_usd;
  }
  return {
    cost: cost === null ? null : round(cost),
    individual: individual === null ? null : round(individual),
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
