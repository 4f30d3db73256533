import { Logger } from '@nestjs/common';
import { EVENT_TYPES, type CJAssessmentCompletedV1, type CJAssessmentFailedV1 } from '#contracts';
import {
  cjTestGraph,
  deliverBatch,
  essaysRequest,
  requestEnvelope,
  resultEvent,
} from '../../testing/cj-test-graph.js';
import type { Judgement } from '#cj-scoring';
import type { AdaptiveRound, AssessmentRecord, StoredResult } from '#assessment-store';
import { chainJudgements, JOINT_SHARE, planNextRound } from './adaptive-rounds.js';
import { successfulResults } from './assessment-state.js';

Logger.overrideLogger(false);

type Graph = ReturnType<typeof cjTestGraph>;

const adaptive = (design: Record<string, unknown>) => ({
  design: { mode: 'adaptive', target_reliability: 0.99, max_comparisons_per_essay: 6, ...design },
});

/** Judges every batch as it is submitted (one round per batch) until the outcome is published. */
async function runToOutcome(graph: Graph, statusOf: (batch: number) => string = () => 'completed') {
  for (let delivered = 0; graph.kafka.envelopes().length === 0; delivered++) {
    const submission = graph.api.submissions[delivered];
    if (!submission) throw new Error(`no batch ${delivered + 1} was submitted and no outcome published`);
    await deliverBatch(graph, submission, { status: statusOf(delivered) });
  }
  return graph.kafka.envelopes()[0];
}

describe('adaptive rounds (services with in-memory fakes)', () => {
  it('runs ONE batch per round, new pairs only, one config, up to the per-essay cap', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(
      requestEnvelope(
        essaysRequest('ad1', 16, adaptive({ initial_comparisons_per_essay: 2, comparisons_per_round: 2 })),
      ),
    );
    const outcome = await runToOutcome(graph);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    const data = outcome.data as CJAssessmentCompletedV1;

    const batches = graph.api.submissions;
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(batches[0].comparisons).toHaveLength(16); // round 1: balanced, k = 2
    const seen = new Set<string>();
    const perEssay = new Map<string, number>();
    const indexes: number[] = [];
    // Every later round runs on the provider/model round 1 resolved, with the same settings.
    const pinned = {
      ...batches[0].llm_config_overrides,
      provider_override: 'mock',
      model_override: 'mock-judge-1',
    };
    for (const batch of batches.slice(1)) expect(batch.llm_config_overrides).toEqual(pinned);
    for (const batch of batches) {
      for (const c of batch.comparisons) {
        const key = [c.metadata.essay_a_id, c.metadata.essay_b_id].sort().join('|');
        expect(seen.has(key)).toBe(false);
        seen.add(key);
        for (const id of [c.metadata.essay_a_id, c.metadata.essay_b_id])
          perEssay.set(id, (perEssay.get(id) ?? 0) + 1);
        indexes.push(c.metadata.pair_index);
      }
    }
    expect(indexes).toEqual([...indexes.keys()]); // each round continues the pair numbering
    expect(Math.max(...perEssay.values())).toBeLessThanOrEqual(6);

    expect(data.comparisons_requested).toBe(indexes.length);
    expect(data.batches.map((b) => b.round)).toEqual(batches.map((_, i) => i + 1));
    expect(data.design).toMatchObject({
      mode: 'adaptive',
      rounds: batches.length,
      target_reliability: 0.99,
      max_comparisons_per_essay: 6,
      stop_reason: 'cap_reached',
    });
    expect(data.design!.round_history.map((r) => r.comparisons)).toEqual(
      batches.map((b) => b.comparisons.length),
    );
    expect(data.split_half_reliability).not.toBeUndefined();
    expect(data.ssr).not.toBeNull();
    expect(data.position_effect?.se).toBeGreaterThan(0);
  });

  it('stops as soon as the two-chain split-half reliability reaches the target', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(
      requestEnvelope(
        essaysRequest(
          'ad2',
          24,
          adaptive({ target_reliability: 0.6, max_comparisons_per_essay: 30, comparisons_per_round: 2 }),
        ),
      ),
    );
    const data = (await runToOutcome(graph)).data as CJAssessmentCompletedV1;
    const history = data.design!.round_history;
    expect(data.design!.stop_reason).toBe('target_reached');
    expect(history.at(-1)!.split_half_reliability).toBeGreaterThanOrEqual(0.6);
    expect(history.slice(0, -1).every((r) => (r.split_half_reliability ?? 0) < 0.6)).toBe(true);
    expect(data.split_half_reliability).toBeCloseTo(history.at(-1)!.split_half_reliability!, 10);
  });

  it("retries a failed round's batch as a whole, on its own retry budget, then fails the assessment", async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(
      requestEnvelope(essaysRequest('ad3', 12, adaptive({ comparisons_per_round: 2 }))),
    );
    // Round 1 completes; round 2's batch fails every time.
    const outcome = await runToOutcome(graph, (batch) => (batch === 0 ? 'completed' : 'failed'));
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentFailed);
    expect((outcome.data as CJAssessmentFailedV1).reason_code).toBe('BATCH_FAILED');
    const [round1, ...round2] = graph.api.submissions;
    expect(round2.length).toBe(1 + graph.settings.failurePolicy.batchRetries);
    for (const retry of round2) {
      expect(retry.comparisons.map((c) => c.metadata.pair_index)).toEqual(
        round2[0].comparisons.map((c) => c.metadata.pair_index),
      );
      expect(retry.comparisons[0].metadata.pair_index).toBe(round1.comparisons.length);
    }
  });

  it('plans the same next round again from the same state (a crash before the round was stored repeats it)', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('ad4', 10, adaptive({}))));
    const [round1] = graph.api.submissions;
    for (let i = 0; i < round1.comparisons.length; i++) {
      const { eventId, data } = resultEvent(round1, i);
      await graph.collector.onComparisonResult(eventId, data);
    }
    const record = (await graph.repository.get('ad4'))!;
    const attempt = record.batches[0].correlation_id;
    const judged = {
      ...record,
      batches: record.batches.map((b) => ({ ...b, status: 'completed' as const })),
    };
    const successes = successfulResults(
      judged,
      new Map([[attempt, await graph.repository.getResults('ad4', attempt)]]),
    );
    const pairs = await graph.repository.getPairs('ad4');
    const plan = planNextRound(judged, pairs, successes, 0.01);
    expect(planNextRound(judged, pairs, successes, 0.01)).toEqual(plan);
    expect(plan.type).toBe('next');
    if (plan.type === 'next') {
      expect(plan.round).toMatchObject({ round: 2, first_pair: pairs.length });
      expect(plan.pairs[0].pair_index).toBe(pairs.length);
    }
  });

  it('refuses an adaptive design without its target or cap, naming the field', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(
      requestEnvelope(
        essaysRequest('ad5', 6, { design: { mode: 'adaptive', max_comparisons_per_essay: 6 } }),
      ),
    );
    const data = graph.kafka.envelopes()[0].data as CJAssessmentFailedV1;
    expect(data.reason_code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(data.details)).toContain('design.target_reliability');
    expect(graph.api.submissions).toHaveLength(0);
  });
});

describe('chainJudgements', () => {
  const pairs = Array.from({ length: 10 }, (_, i) => ({
    pair_index: i,
    essay_a: `e${i}`,
    essay_b: `e${i + 1}`,
  }));
  const successes = new Map(pairs.map((p) => [p.pair_index, { winner: 'Essay A' } as StoredResult]));
  const record = (rounds: Array<Partial<AdaptiveRound>>) =>
    ({ adaptive: { rounds } }) as unknown as AssessmentRecord;
  const indexes = (chains: Judgement[][]) => chains.map((c) => c.map((j) => Number(j.essay_a.slice(1))));

  it('splits a round into chain A, chain B and the joint pairs chosen from all judgements', () => {
    const split = chainJudgements(
      record([
        { first_pair: 0, pair_count: 4, chain_a_count: 2 }, // round 1: no chain_b_count, the rest is chain B
        { first_pair: 4, pair_count: 6, chain_a_count: 1, chain_b_count: 2 },
      ]),
      pairs,
      successes,
    );
    expect(indexes(split)).toEqual([
      [0, 1, 4],
      [2, 3, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('plans chain A, chain B and joint pairs in that order, and records the chain sizes', () => {
    const plan = planNextRound(
      {
        assessment_id: 'x',
        essay_ids: Array.from({ length: 11 }, (_, i) => `e${i}`),
        pair_count: 10,
        adaptive: {
          target_reliability: 0.99,
          max_comparisons_per_essay: 20,
          initial_comparisons_per_essay: 2,
          comparisons_per_round: 2,
          seed: 3,
          rounds: [{ round: 1, first_pair: 0, pair_count: 10, chain_a_count: 5 }],
          stop_reason: null,
        },
      } as unknown as AssessmentRecord,
      pairs,
      successes,
      0.01,
    );
    expect(plan.type).toBe('next');
    if (plan.type !== 'next') return;
    const { chain_a_count: a, chain_b_count: b, pair_count: total } = plan.round;
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    // Half the round's comparisons are joint pairs (round(11 * 2 * 0.5 / 2) = 6), a quarter per chain.
    expect(total - a - b!).toBe(Math.round((11 * 2 * JOINT_SHARE) / 2));
    expect(plan.pairs.map((p) => p.pair_index)).toEqual(plan.pairs.map((_, i) => 10 + i));
  });
});
