import { EVENT_TYPES, type CJAssessmentCompletedV1, type CJAssessmentFailedV1 } from '#contracts';
import type { AssessmentRecord, BatchAttempt, StoredResult, StoredSubmission } from '#assessment-store';
import {
  assessmentStatus,
  toAssessmentStatus,
  toJudgements,
  type AssessmentState,
} from './assessment-view.js';

const submission: StoredSubmission = {
  submission: {
    assessment_id: 'a1',
    tenant_id: 't',
    key_id: 'k_1',
    request_hash: 'h',
    correlation_id: 'c',
    accepted_at: '2026-11-30T08:00:00.000Z',
    quote: null,
  },
  refusal: null,
};

function attempt(patch: Partial<BatchAttempt>): BatchAttempt {
  return {
    batch_id: 'b1',
    kind: 'main',
    attempt: 1,
    correlation_id: 'cj-a1-main-1',
    comparison_count: 10,
    pair_indexes: null,
    status: 'accepted',
    succeeded: 0,
    failed: 0,
    reported_count: null,
    cost_usd: null,
    individual_cost_usd: null,
    ...patch,
  };
}

function record(batches: BatchAttempt[], patch: Partial<AssessmentRecord> = {}): AssessmentRecord {
  return {
    assessment_id: 'a1',
    version: 3,
    status: 'active',
    request_hash: 'h',
    correlation_id: 'c',
    created_at: '2026-11-30T08:00:01.000Z',
    deadline_at: 0,
    essay_ids: ['e1', 'e2', 'e3', 'e4'],
    pair_count: 10,
    user_prompt: 'p',
    llm_config: { provider_override: 'mock', temperature_override: 0 },
    pinned: { provider: 'mock', model: 'mock-judge-1' },
    batches,
    outcome: null,
    ...patch,
  };
}

const state = (r: AssessmentRecord | null, extra: Partial<AssessmentState> = {}): AssessmentState => ({
  stored: submission,
  record: r,
  cancelRequestedAt: null,
  resultCounts: new Map(),
  ...extra,
});

const outcome = (type: string, data: unknown) => ({
  event_id: 'e',
  event_type: type,
  event_timestamp: '',
  source_service: 's',
  schema_version: 1,
  correlation_id: 'c',
  data,
});

describe('assessment view', () => {
  it('maps the store to a status: queued, refused, running, cancelling, cancelled, failed', () => {
    expect(assessmentStatus(state(null))).toBe('queued');
    expect(assessmentStatus(state(null, { cancelRequestedAt: 'x' }))).toBe('cancelling');
    expect(
      assessmentStatus(state(null, { stored: { ...submission, refusal: {} as CJAssessmentFailedV1 } })),
    ).toBe('failed');
    expect(assessmentStatus(state(record([attempt({})])))).toBe('running');
    expect(assessmentStatus(state(record([attempt({})]), { cancelRequestedAt: 'x' }))).toBe('cancelling');
    const failed = (reason: string) =>
      record([attempt({})], {
        status: 'failed',
        outcome: outcome(EVENT_TYPES.assessmentFailed, { reason_code: reason, message: 'm' }),
      });
    expect(assessmentStatus(state(failed('CANCELLED')))).toBe('cancelled');
    expect(assessmentStatus(state(failed('BATCH_FAILED')))).toBe('failed');
    expect(toAssessmentStatus(state(failed('BATCH_FAILED'))).error).toEqual({
      reason_code: 'BATCH_FAILED',
      message: 'm',
    });
  });

  it('counts progress per round: the newest whole-batch attempt, its follow-ups, results stored while running', () => {
    const r = record([
      attempt({ status: 'failed', reported_count: 10, failed: 10 }),
      attempt({
        attempt: 2,
        correlation_id: 'main-2',
        status: 'completed',
        reported_count: 10,
        succeeded: 7,
        failed: 3,
      }),
      attempt({ kind: 'follow_up', correlation_id: 'fu-1', comparison_count: 3 }),
    ]);
    const view = toAssessmentStatus(state(r, { resultCounts: new Map([['fu-1', 2]]) }));
    expect(view.progress).toMatchObject({
      comparisons_total: 10,
      comparisons_done: 9,
      comparisons_failed: 3,
      rounds: 1,
    });
    expect(view.progress.batches.map((b) => b.succeeded)).toEqual([0, 7, 2]);
    const rounds = record([
      { ...attempt({ status: 'completed', reported_count: 10, succeeded: 10 }), round: 1 } as BatchAttempt,
      { ...attempt({ correlation_id: 'r2', comparison_count: 4 }), round: 2 } as BatchAttempt,
    ]);
    expect(toAssessmentStatus(state(rounds, { resultCounts: new Map([['r2', 1]]) })).progress).toMatchObject({
      comparisons_done: 10,
      rounds: 2,
    });
  });

  it('shows the outcome with split-half reliability and the cost beside the quote once completed', () => {
    const data = {
      rankings: [{ essay_id: 'e1', score: 1, se: 0.5, rank: 1, wins: 3, losses: 0, comparisons: 3 }],
      ssr: 0.8,
      split_half_reliability: 0.75,
      position_bias: { a_wins: 1, total: 2, share: 0.5 },
      position_effect: { estimate: 0.1, se: 0.2, ci_lower: -0.29, ci_upper: 0.49 },
      comparisons_requested: 10,
      comparisons_succeeded: 10,
      comparisons_failed: 0,
      cost_usd: 0.5,
      individual_cost_usd: 1,
      savings_usd: 0.5,
      duration_ms: 100,
    } as unknown as CJAssessmentCompletedV1;
    const r = record([attempt({ status: 'completed', reported_count: 10, succeeded: 10 })], {
      status: 'completed',
      outcome: outcome(EVENT_TYPES.assessmentCompleted, data),
    });
    const view = toAssessmentStatus(state(r));
    expect(view.status).toBe('completed');
    expect(view.result).toMatchObject({
      ssr: 0.8,
      split_half_reliability: 0.75,
      position_effect: { estimate: 0.1 },
    });
    expect(view.cost).toEqual({
      quote: null,
      actual_cost_usd: 0.5,
      individual_cost_usd: 1,
      savings_usd: 0.5,
    });
    expect(view.config).toMatchObject({ provider: 'mock', model: 'mock-judge-1', temperature: 0 });
  });

  it('reports the cost as unknown (null) while running and once completed when the model has no price', () => {
    const running = record([
      attempt({
        correlation_id: 'm1',
        status: 'completed',
        reported_count: 10,
        cost_usd: 0.2,
        individual_cost_usd: 0.4,
      }),
      attempt({ correlation_id: 'f1', kind: 'follow_up', status: 'accepted' }),
    ]);
    expect(toAssessmentStatus(state(running)).cost).toEqual({
      quote: null,
      actual_cost_usd: 0.2,
      individual_cost_usd: 0.4,
      savings_usd: 0.2,
    });
    const unpriced = record([
      attempt({ correlation_id: 'm1', status: 'completed', reported_count: 10, cost_usd: null }),
    ]);
    expect(toAssessmentStatus(state(unpriced)).cost).toEqual({
      quote: null,
      actual_cost_usd: null,
      individual_cost_usd: null,
      savings_usd: null,
    });
    const data = { cost_usd: null, individual_cost_usd: null, savings_usd: null, rankings: [] };
    const done = record([attempt({ status: 'completed', reported_count: 10, cost_usd: null })], {
      status: 'completed',
      outcome: outcome(EVENT_TYPES.assessmentCompleted, data as unknown as CJAssessmentCompletedV1),
    });
    expect(toAssessmentStatus(state(done)).cost).toMatchObject({ actual_cost_usd: null, savings_usd: null });
  });

  it('lists judgements in pair order as scored: a failed whole batch counts nothing, a follow-up fills errors', () => {
    const pairs = [0, 1, 2].map((i) => ({ pair_index: i, essay_a: `e${i + 1}`, essay_b: `e${i + 2}` }));
    const r = record([
      attempt({ correlation_id: 'm1', status: 'failed' }),
      attempt({ correlation_id: 'm2', status: 'completed' }),
      attempt({ correlation_id: 'f1', kind: 'follow_up', status: 'accepted' }),
    ]);
    const res = (i: number, winner: StoredResult['winner']): StoredResult => ({
      pair_index: i,
      winner,
      error_code: winner ? null : 'RATE_LIMIT',
      provider: 'mock',
      model: 'm',
      cost_estimate: 0,
      ...(winner ? { justification: 'j', confidence: 4 } : {}),
    });
    const results = new Map([
      ['m1', new Map([[2, res(2, 'Essay A')]])],
      [
        'm2',
        new Map([
          [0, res(0, 'Essay B')],
          [1, res(1, null)],
        ]),
      ],
      ['f1', new Map([[1, res(1, 'Essay A')]])],
    ]);
    const items = toJudgements(pairs, r, results);
    expect(items.map((j) => [j.pair_index, j.status, j.winner_essay_id])).toEqual([
      [0, 'judged', 'e2'],
      [1, 'judged', 'e2'],
      [2, 'pending', null],
    ]);
    expect(items[0]).toMatchObject({ justification: 'j', confidence: 4 });
    const errorsOnly = toJudgements(pairs.slice(1, 2), r, new Map([['m2', new Map([[1, res(1, null)]])]]));
    expect(errorsOnly[0]).toMatchObject({ status: 'failed', error_code: 'RATE_LIMIT', winner: null });
  });
});
