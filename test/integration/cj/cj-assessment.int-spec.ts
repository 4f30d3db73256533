import {
  EVENT_TYPES,
  type CJAssessmentCompletedV1,
  type CJAssessmentFailedV1,
  type CJAssessmentRequestedV1,
} from '#contracts';
import { spearman } from '#cj-scoring';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { CjHarness } from './support/cj-harness.js';

// The CJ service on real Redis + Kafka. The comparison service is a wire-compatible fake (support/), judged by
// the Mock provider's own judge, because it lets each test script failures, shuffles and duplicates exactly.
describe('CJ assessment end to end (real Redis + Kafka, fake comparison service)', () => {
  const harness = new CjHarness();
  const run = harness.prefix;

  beforeAll(async () => {
    await harness.start({ CJ_BATCH_RETRIES: '1', CJ_MIN_SUCCESS_RATE: '1' });
  }, 90_000);

  afterAll(async () => {
    await harness.stop();
  }, 30_000);

  it('ranks 30 essays from ONE batch and recovers the hidden order (Spearman >= 0.9 at k = 10)', async () => {
    const id = `${run}-thirty`;
    const essays = sampleEssays(30);
    await harness.send(harness.requestEnvelope(sampleRequest(id, essays)));

    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    const batches = harness.fake.batchesFor(id);
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch.comparisons).toHaveLength(150);
    // The shared, cacheable prompt is identical across the batch and holds no essay; essays travel separately.
    expect(new Set(batch.comparisons.map((c) => c.user_prompt)).size).toBe(1);
    expect(batch.comparisons[0].user_prompt).toContain('persuasive essay');
    expect(batch.comparisons[0].user_prompt).not.toContain('[[quality');
    expect(batch.comparisons[0].metadata).toMatchObject({
      assessment_id: id,
      pair_index: expect.any(Number),
    });
    expect(batch.llm_config_overrides).toMatchObject({ provider_override: 'mock', temperature_override: 0 });

    const data = outcome.data;
    expect(data.rankings).toHaveLength(30);
    expect(data.comparisons_succeeded).toBe(150);
    expect(data.comparisons_failed).toBe(0);
    expect(data.provider).toBe('mock');
    expect(data.ssr).toBeGreaterThan(0.7);
    expect(data.rankings.reduce((s, r) => s + r.score, 0)).toBeCloseTo(0, 6);
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rho = spearman(
      data.rankings.map((r) => r.score),
      data.rankings.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it('retries a failed batch once, as a whole, on the same provider, then publishes the failure', async () => {
    const id = `${run}-batchfail`;
    harness.fake.behaviour.failBatches = 2;
    await harness.send(
      harness.requestEnvelope(sampleRequest(id, sampleEssays(8), { comparisons_per_essay: 4 })),
    );

    const outcome = await harness.outcome<CJAssessmentFailedV1>(id);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentFailed);
    expect(outcome.data.reason_code).toBe('BATCH_FAILED');
    expect(outcome.data.batches.map((b) => [b.kind, b.attempt, b.status])).toEqual([
      ['main', 1, 'failed'],
      ['main', 2, 'failed'],
    ]);
    const [first, second] = harness.fake.batchesFor(id);
    expect(harness.fake.batchesFor(id)).toHaveLength(2);
    expect(second.comparisons.map((c) => c.comparison_id)).toEqual(
      first.comparisons.map((c) => c.comparison_id),
    );
    expect(second.llm_config_overrides).toMatchObject({
      ...first.llm_config_overrides,
      provider_override: 'mock',
      model_override: 'mock-judge-1',
    });
  }, 60_000);

  it('completes when the one retry of a failed batch succeeds', async () => {
    const id = `${run}-retryok`;
    harness.fake.behaviour.failBatches = 1;
    await harness.send(
      harness.requestEnvelope(sampleRequest(id, sampleEssays(8), { comparisons_per_essay: 4 })),
    );

    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(outcome.data.batches.map((b) => b.status)).toEqual(['failed', 'completed']);
    expect(outcome.data.comparisons_succeeded).toBe(16);
  }, 60_000);

  it('starts one assessment however often the request is redelivered', async () => {
    const id = `${run}-redelivered`;
    const envelope = harness.requestEnvelope(
      sampleRequest(id, sampleEssays(8), { comparisons_per_essay: 4 }),
    );
    await Promise.all([harness.send(envelope), harness.send(envelope), harness.send(envelope)]);

    await harness.outcome<CJAssessmentCompletedV1>(id);
    await harness.send(envelope); // after the outcome, too
    const later = `${run}-after-redelivery`;
    await harness.send(
      harness.requestEnvelope(sampleRequest(later, sampleEssays(4), { comparisons_per_essay: 2 })),
    );
    await harness.outcome(later);

    expect(harness.fake.batchesFor(id)).toHaveLength(1);
    // Delivery is at-least-once (a resumer may publish a stored outcome again), so count distinct event ids.
    expect(new Set(harness.outcomesFor(id).map((e) => e.event_id)).size).toBe(1);
  }, 60_000);

  it('scores the same whether results arrive in order or shuffled and duplicated', async () => {
    const essays = sampleEssays(12);
    const ordered = `${run}-ordered`;
    const shuffled = `${run}-shuffled`;
    harness.fake.behaviour.judgeByPairIndex = true;
    try {
      await harness.send(
        harness.requestEnvelope(sampleRequest(ordered, essays, { comparisons_per_essay: 6 })),
      );
      const a = await harness.outcome<CJAssessmentCompletedV1>(ordered);
      harness.fake.behaviour.shuffleSeed = 99;
      harness.fake.behaviour.duplicateResults = true;
      await harness.send(
        harness.requestEnvelope(sampleRequest(shuffled, essays, { comparisons_per_essay: 6 })),
      );
      const b = await harness.outcome<CJAssessmentCompletedV1>(shuffled);

      expect(b.data.comparisons_succeeded).toBe(a.data.comparisons_succeeded);
      expect(b.data.rankings).toEqual(a.data.rankings);
      expect(b.data.ssr).toBe(a.data.ssr);
      expect(b.data.position_bias).toEqual(a.data.position_bias);
      expect(b.data.position_effect).toEqual(a.data.position_effect);
      expect(a.data.position_effect?.se).toBeGreaterThan(0);
    } finally {
      Object.assign(harness.fake.behaviour, {
        judgeByPairIndex: false,
        shuffleSeed: null,
        duplicateResults: false,
      });
    }
  }, 60_000);

  it('resubmits per-item errors once as a follow-up batch with only those pairs', async () => {
    const id = `${run}-followup`;
    harness.fake.behaviour.itemErrorsOnce = new Set([0, 3, 5]);
    try {
      await harness.send(
        harness.requestEnvelope(sampleRequest(id, sampleEssays(8), { comparisons_per_essay: 4 })),
      );
      const outcome = await harness.outcome<CJAssessmentCompletedV1>(id);
      expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
      const [main, followUp] = harness.fake.batchesFor(id);
      expect(main.comparisons).toHaveLength(16);
      expect(followUp.comparisons.map((c) => c.metadata.pair_index)).toEqual([0, 3, 5]);
      expect(outcome.data.comparisons_succeeded).toBe(16);
      expect(outcome.data.batches.map((b) => b.kind)).toEqual(['main', 'follow_up']);
    } finally {
      harness.fake.behaviour.itemErrorsOnce = new Set();
    }
  }, 60_000);

  it('refuses a request that mixes two LLM configs, without submitting anything', async () => {
    const id = `${run}-mixed`;
    const request: CJAssessmentRequestedV1 = sampleRequest(id, sampleEssays(6), {
      llm_config: { provider_override: 'mock', model_override: 'mock-judge-1' },
      llm_config_overrides: { provider_override: 'mock', model_override: 'mock-judge-2' },
    });
    await harness.send(harness.requestEnvelope(request));

    const outcome = await harness.outcome<CJAssessmentFailedV1>(id);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentFailed);
    expect(outcome.data.reason_code).toBe('MIXED_LLM_CONFIG');
    expect(harness.fake.batchesFor(id)).toHaveLength(0);
  }, 60_000);

  it('keeps the first batch provider/model when the service default changes mid-run', async () => {
    const id = `${run}-pinned`;
    harness.fake.behaviour.failBatches = 1;
    harness.fake.behaviour.afterBatch = () => {
      harness.fake.behaviour.defaultModel = 'mock-judge-2';
    };
    try {
      // No model in the request: the service's default at the first batch decides, and stays for the retry.
      await harness.send(
        harness.requestEnvelope(sampleRequest(id, sampleEssays(6), { comparisons_per_essay: 3 })),
      );
      const outcome = await harness.outcome<CJAssessmentCompletedV1>(id);
      expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
      expect(outcome.data.model).toBe('mock-judge-1');
      const [first, retry] = harness.fake.batchesFor(id);
      expect(first.llm_config_overrides.model_override).toBeUndefined();
      expect(retry.llm_config_overrides).toEqual({
        ...first.llm_config_overrides,
        model_override: 'mock-judge-1',
      });
    } finally {
      harness.fake.behaviour.afterBatch = undefined;
      harness.fake.behaviour.defaultModel = 'mock-judge-1';
    }
  }, 60_000);

  it('refuses an invalid request with a reason code and keeps consuming', async () => {
    const id = `${run}-invalid`;
    await harness.send(
      harness.requestEnvelope({ assessment_id: id, essays: [{ essay_id: 'only-one', text: 'x' }] }),
    );

    const outcome = await harness.outcome<CJAssessmentFailedV1>(id);
    expect(outcome.data.reason_code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(outcome.data.details)).toContain('essays');
    const next = `${run}-after-invalid`;
    await harness.send(
      harness.requestEnvelope(sampleRequest(next, sampleEssays(4), { comparisons_per_essay: 2 })),
    );
    expect((await harness.outcome(next)).event_type).toBe(EVENT_TYPES.assessmentCompleted);
  }, 60_000);
});
