import { generatePairs } from '#cj-scoring';
import { completedOutcome, judgementsInPairOrder } from './assessment-outcome.js';
import { newAssessment, withAttempt, withAttemptAccepted, withAttemptReported } from './assessment-state.js';
import type { AssessmentRecord, StoredResult } from '#assessment-store';

const ids = Array.from({ length: 8 }, (_, i) => `e${i}`);
const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 4, seed: 3 });

function record(): AssessmentRecord {
  return newAssessment(
    {
      assessment_id: 'o',
      essays: ids.map((essay_id) => ({ essay_id, text: essay_id })),
      assignment: 'a',
      criteria: 'c',
      instructions: null,
      llm_config: {},
      comparisons_per_essay: 4,
      both_orders: false,
      seed: 3,
      request_hash: 'h',
    },
    pairs.length,
    'p',
    'corr',
    new Date(0),
    1000,
  );
}

function results(r: AssessmentRecord, order: number[]): Map<number, StoredResult> {
  return new Map(
    order.map((index) => [
      index,
      {
        pair_index: index,
        winner: index % 3 === 0 ? 'Essay B' : 'Essay A',
        error_code: null,
        provider: 'mock',
        model: 'm',
        cost_estimate: 0.5,
      },
    ]),
  );
}

describe('assessment outcome', () => {
  it('feeds judgements in pair-generation order whatever order the results were stored in', () => {
    const r = record();
    const indexes = pairs.map((p) => p.pair_index);
    const shuffled = [...indexes].sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13) || b - a);
    expect(shuffled).not.toEqual(indexes);
    const inOrder = judgementsInPairOrder(pairs, results(r, indexes));
    expect(judgementsInPairOrder(pairs, results(r, shuffled))).toEqual(inOrder);
    expect(inOrder.map((j) => j.essay_a)).toEqual(
      [...pairs].sort((a, b) => a.pair_index - b.pair_index).map((p) => p.essay_a),
    );
    const now = new Date(5000);
    expect(completedOutcome(r, pairs, results(r, shuffled), now, 0.01)).toEqual(
      completedOutcome(r, pairs, results(r, indexes), now, 0.01),
    );
  });

  it('leaves pairs without a successful result out of the fit', () => {
    const r = record();
    const some = results(r, [0, 1, 2]);
    expect(judgementsInPairOrder(pairs, some)).toHaveLength(3);
    const outcome = completedOutcome(r, pairs, some, new Date(0), 0.01);
    expect(outcome.comparisons_succeeded).toBe(3);
    expect(outcome.comparisons_failed).toBe(r.pair_count - 3);
    expect(outcome.rankings.reduce((n, x) => n + x.comparisons, 0)).toBe(6);
  });

  it('reports the fitted position effect with its SE and 95 % CI', () => {
    const r = record();
    const outcome = completedOutcome(
      r,
      pairs,
      results(
        r,
        pairs.map((p) => p.pair_index),
      ),
      new Date(0),
      0.01,
    );
    const effect = outcome.position_effect!;
    // Two thirds of the judgements went to 'Essay A' on a balanced design: a clearly positive effect.
    expect(effect.estimate).toBeGreaterThan(0.3);
    expect(effect.se).toBeGreaterThan(0);
    expect(effect.ci_lower).toBeCloseTo(effect.estimate - 1.959964 * effect.se!, 5);
    expect(effect.ci_upper).toBeCloseTo(effect.estimate + 1.959964 * effect.se!, 5);
  });

  describe('cost', () => {
    /** A record with one main batch that reported `cost` (or carried none: undefined, an older event). */
    function reported(cost: number | null | undefined, resultCosts: number | null): AssessmentRecord {
      const { record: withMain, attempt } = withAttempt(record(), 'main', null);
      const accepted = withAttemptAccepted(withMain, attempt.correlation_id, 'b-1');
      return withAttemptReported(
        accepted,
        attempt.correlation_id,
        {
          batch_id: 'b-1',
          assessment_id: 'o',
          successful_comparisons: 3,
          failed_comparisons: 0,
          total_processing_time_ms: 1,
          correlation_id: attempt.correlation_id,
          status: 'completed',
          ...(cost === undefined
            ? {}
            : { cost_usd: cost, individual_cost_usd: cost === null ? null : cost * 2 }),
        },
        resultCosts,
      );
    }

    it('sums the reported batch costs', () => {
      const outcome = completedOutcome(
        reported(0.25, 9),
        pairs,
        results(record(), [0, 1, 2]),
        new Date(0),
        0.01,
      );
      expect(outcome).toMatchObject({ cost_usd: 0.25, individual_cost_usd: 0.5, savings_usd: 0.25 });
    });

    it('reports an unpriced model as unknown (null), not as 0', () => {
      const outcome = completedOutcome(
        reported(null, 0),
        pairs,
        results(record(), [0, 1, 2]),
        new Date(0),
        0.01,
      );
      expect(outcome).toMatchObject({ cost_usd: null, individual_cost_usd: null, savings_usd: null });
    });

    it('falls back to the results of an older event without costs, unknown when one of them is', () => {
      const known = completedOutcome(reported(undefined, 1.5), pairs, new Map(), new Date(0), 0.01);
      expect(known).toMatchObject({ cost_usd: 1.5, individual_cost_usd: 1.5 });
      const unknown = completedOutcome(reported(undefined, null), pairs, new Map(), new Date(0), 0.01);
      expect(unknown).toMatchObject({ cost_usd: null, individual_cost_usd: null, savings_usd: null });
    });
  });
});
