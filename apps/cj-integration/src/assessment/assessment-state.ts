import type { CJBatchKind, LLMBatchCompletedV1, LlmConfigOverrides, ProviderName } from '#contracts';
import type { ValidAssessmentRequest } from './validate-assessment-request.js';
import type {
  AdaptiveRound,
  AssessmentRecord,
  AttemptStatus,
  BatchAttempt,
  StoredResult,
} from '#assessment-store';

/**
 * Pure transitions of an assessment record. Each returns a new record with `version` + 1, ready for
 * AssessmentRepository.compareAndSet; none performs I/O.
 */

export function newAssessment(
  request: ValidAssessmentRequest,
  pairCount: number,
  userPrompt: string,
  correlationId: string,
  now: Date,
  deadlineMs: number,
): AssessmentRecord {
  const record: AssessmentRecord = {
    assessment_id: request.assessment_id,
    version: 1,
    status: 'active',
    request_hash: request.request_hash,
    correlation_id: correlationId,
    created_at: now.toISOString(),
    deadline_at: now.getTime() + deadlineMs,
    essay_ids: request.essays.map((e) => e.essay_id),
    pair_count: pairCount,
    user_prompt: userPrompt,
    llm_config: request.llm_config,
    pinned: null,
    batches: [],
    outcome: null,
  };
  const adaptive = request.adaptive;
  if (!adaptive) return withAttempt(record, 'main', null).record;
  // Round 1: the balanced design, its (randomly ordered) pairs split half and half between the two chains.
  record.adaptive = {
    ...adaptive,
    seed: request.seed,
    rounds: [
      {
        round: 1,
        first_pair: 0,
        pair_count: pairCount,
        chain_a_count: Math.floor(pairCount / 2),
        judgements: null,
        split_half_reliability: null,
        ssr: null,
      },
    ],
    stop_reason: null,
  };
  return withAttempt(record, 'main', range(0, pairCount), 1).record;
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/**
 * Starts adaptive round `round.round`: the design grows by its pairs (already appended to the stored pairs), the
 * figures of the round just judged are kept, and the round's ONE batch is added as a new main attempt.
 */
export function withNextRound(
  record: AssessmentRecord,
  judged: Pick<AdaptiveRound, 'judgements' | 'split_half_reliability' | 'ssr'>,
  round: AdaptiveRound,
): AssessmentRecord {
  const adaptive = record.adaptive!;
  // One version step for the whole transition (withAttempt bumps it): a single compare-and-set.
  const grown: AssessmentRecord = {
    ...record,
    pair_count: round.first_pair + round.pair_count,
    adaptive: { ...adaptive, rounds: [...withJudged(adaptive.rounds, judged), round] },
  };
  return withAttempt(grown, 'main', range(round.first_pair, round.pair_count), round.round).record;
}

/** Ends the adaptive rounds; the assessment then finishes like a balanced one (follow-up, score). */
export function withRoundsStopped(
  record: AssessmentRecord,
  judged: Pick<AdaptiveRound, 'judgements' | 'split_half_reliability' | 'ssr'>,
  reason: 'target_reached' | 'cap_reached',
): AssessmentRecord {
  const adaptive = record.adaptive!;
  return bump(record, {
    adaptive: { ...adaptive, rounds: withJudged(adaptive.rounds, judged), stop_reason: reason },
  });
}

function withJudged(
  rounds: AdaptiveRound[],
  judged: Pick<AdaptiveRound, 'judgements' | 'split_half_reliability' | 'ssr'>,
): AdaptiveRound[] {
  return rounds.map((r, i) => (i === rounds.length - 1 ? { ...r, ...judged } : r));
}

export function currentAttempt(record: AssessmentRecord): BatchAttempt {
  const attempt = record.batches.at(-1);
  if (!attempt) throw new Error(`assessment ${record.assessment_id} has no batch`);
  return attempt;
}

export function attemptCount(record: AssessmentRecord, kind: CJBatchKind): number {
  return record.batches.filter((b) => b.kind === kind).length;
}

/** Attempts of the same kind and adaptive round as `attempt` (the retry budget is per round). */
export function roundAttemptCount(record: AssessmentRecord, attempt: BatchAttempt): number {
  return record.batches.filter((b) => b.kind === attempt.kind && b.round === attempt.round).length;
}

/** Appends a batch attempt in state 'submitting'; its correlation id makes the submission idempotent. */
export function withAttempt(
  record: AssessmentRecord,
  kind: CJBatchKind,
  pairIndexes: number[] | null,
  round?: number,
): { record: AssessmentRecord; attempt: BatchAttempt } {
  const number = attemptCount(record, kind) + 1;
  const attempt: BatchAttempt = {
    batch_id: '',
    kind,
    attempt: number,
    correlation_id: `cj-${record.assessment_id}-${kind === 'main' ? 'main' : 'followup'}-${number}`,
    comparison_count: pairIndexes?.length ?? record.pair_count,
    pair_indexes: pairIndexes ? [...pairIndexes].sort((a, b) => a - b) : null,
    status: 'submitting',
    succeeded: 0,
    failed: 0,
    reported_count: null,
    cost_usd: null,
    individual_cost_usd: null,
    ...(round === undefined ? {} : { round }),
  };
  return { record: bump(record, { batches: [...record.batches, attempt] }), attempt };
}

export function withAttemptAccepted(
  record: AssessmentRecord,
  correlationId: string,
  batchId: string,
): AssessmentRecord {
  return updateAttempt(record, correlationId, (a) => ({
    ...a,
    batch_id: batchId,
    status: a.status === 'submitting' ? 'accepted' : a.status,
  }));
}

export function withAttemptReported(
  record: AssessmentRecord,
  correlationId: string,
  event: LLMBatchCompletedV1,
  resultCosts: number | null,
): AssessmentRecord {
  return updateAttempt(record, correlationId, (a) => ({
    ...a,
    batch_id: a.batch_id || event.batch_id,
    status: reportedStatus(event),
    succeeded: event.successful_comparisons,
    failed: event.failed_comparisons,
    reported_count: event.successful_comparisons + event.failed_comparisons,
    // Older events carry no cost (undefined): the stored results' sum stands in. null is a reported "unknown".
    cost_usd: event.cost_usd !== undefined ? event.cost_usd : resultCosts,
    individual_cost_usd:
      event.individual_cost_usd !== undefined
        ? event.individual_cost_usd
        : event.cost_usd !== undefined
          ? event.cost_usd
          : resultCosts,
  }));
}

/**
 * The batch's overall status. Without an explicit status, a batch in which nothing succeeded counts as failed
 * (retried whole); otherwise it completed, possibly with per-item errors (follow-up batch).
 */
function reportedStatus(event: LLMBatchCompletedV1): AttemptStatus {
  const status = event.status?.toLowerCase();
  if (status === 'failed' || status === 'expired' || status === 'canceled') return status;
  if (status === undefined && event.successful_comparisons === 0 && event.failed_comparisons > 0)
    return 'failed';
  return 'completed';
}

export function withPinnedConfig(
  record: AssessmentRecord,
  provider: ProviderName,
  model: string,
): AssessmentRecord {
  return bump(record, { pinned: { provider, model } });
}

/** The overrides every batch of the assessment is sent with: the request's config, pinned once resolved. */
export function batchConfig(record: AssessmentRecord): LlmConfigOverrides {
  return record.pinned
    ? { ...record.llm_config, provider_override: record.pinned.provider, model_override: record.pinned.model }
    : record.llm_config;
}

export function withStatus(
  record: AssessmentRecord,
  status: AssessmentRecord['status'],
  patch: Partial<AssessmentRecord> = {},
): AssessmentRecord {
  return bump(record, { ...patch, status });
}

function updateAttempt(
  record: AssessmentRecord,
  correlationId: string,
  change: (attempt: BatchAttempt) => BatchAttempt,
): AssessmentRecord {
  if (!record.batches.some((b) => b.correlation_id === correlationId)) {
    throw new Error(`assessment ${record.assessment_id} has no batch ${correlationId}`);
  }
  return bump(record, {
    batches: record.batches.map((b) => (b.correlation_id === correlationId ? change(b) : b)),
  });
}

function bump(record: AssessmentRecord, patch: Partial<AssessmentRecord>): AssessmentRecord {
  return { ...record, ...patch, version: record.version + 1 };
}

/**
 * Successful judgement per pair: the accepted main batch's result, or the follow-up's for pairs whose main
 * result was an error. Attempts that failed as a whole contribute nothing (all-or-nothing).
 */
export function successfulResults(
  record: AssessmentRecord,
  resultsByAttempt: ReadonlyMap<string, ReadonlyMap<number, StoredResult>>,
): Map<number, StoredResult> {
  const merged = new Map<number, StoredResult>();
  for (const attempt of record.batches) {
    if (attempt.status !== 'completed') continue;
    for (const [index, result] of resultsByAttempt.get(attempt.correlation_id) ?? []) {
      if (result.winner !== null && !merged.has(index)) merged.set(index, result);
    }
  }
  return merged;
}
