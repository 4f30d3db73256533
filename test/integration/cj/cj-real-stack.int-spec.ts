import request from 'supertest';
import { AssessmentRepository } from '#assessment-store';
import {
  createEnvelope,
  EVENT_TYPES,
  topicNames,
  type CJAssessmentCompletedV1,
  type LLMComparisonResultV1,
} from '#contracts';
import { CjMetrics } from '../../../apps/cj-integration/src/assessment/cj-metrics.js';
import { waitFor } from '../../support/wait-for.js';
import { spearman } from '#cj-scoring';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { API_KEY as CJ_TEST_KEY, CjHarness } from './support/cj-harness.js';
import { startStack, stopStack } from './support/real-stack.js';

const auth = { Authorization: `Bearer ${CJ_TEST_KEY}` };

describe('CJ on the real comparison service (api + batch-worker + Mock, real Redis + Kafka)', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;

  beforeAll(async () => {
    // Results take 2 s to appear, so a forged result sent right after acceptance arrives before the real ones.
    stack = await startStack(harness, { MOCK_LATENCY_MS: '2000' });
  }, 120_000);
  afterAll(async () => stopStack(harness, stack), 60_000);

  it('a 30-essay assessment recovers the Mock hidden order (Spearman >= 0.9 at k = 10) from one batch', async () => {
    const id = `${harness.prefix}-real30`;
    const essays = sampleEssays(30);
    const envelope = harness.requestEnvelope(sampleRequest(id, essays));
    await harness.send(envelope);
    await harness.send(envelope); // redelivered: still one assessment

    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id, 60_000);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    const data = outcome.data;
    expect(data).toMatchObject({ provider: 'mock', model: 'mock-judge-1', comparisons_succeeded: 150 });
    expect(data.batches).toHaveLength(1);
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rho = spearman(
      data.rankings.map((r) => r.score),
      data.rankings.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.9);

    const status = await request(stack!.api.getHttpServer())
      .get(`/api/v1/comparison/batch/${data.batches[0].batch_id}`)
      .set(auth);
    expect(status.body).toMatchObject({
      status: 'completed',
      assessment_id: id,
      provider: 'mock',
      counts: { total: 150 },
    });
    expect(harness.outcomesFor(id)).toHaveLength(1);
  }, 90_000);

  it('an adaptive assessment runs one batch per round through the real service, to the per-essay cap', async () => {
    const id = `${harness.prefix}-adaptive`;
    const essays = sampleEssays(16);
    await harness.send(
      harness.requestEnvelope(
        sampleRequest(id, essays, {
          design: {
            mode: 'adaptive',
            target_reliability: 0.99,
            max_comparisons_per_essay: 6,
            initial_comparisons_per_essay: 2,
            comparisons_per_round: 2,
          },
        }),
      ),
    );
    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id, 90_000);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    const data = outcome.data;
    const rounds = data.design!.rounds;
    expect(data.design).toMatchObject({ mode: 'adaptive', stop_reason: 'cap_reached' });
    expect(rounds).toBeGreaterThanOrEqual(3);
    // One batch per round, in order, all on the one provider/model, every comparison judged.
    expect(data.batches.map((b) => b.round)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    expect(data).toMatchObject({ provider: 'mock', model: 'mock-judge-1' });
    expect(data.comparisons_succeeded).toBe(data.comparisons_requested);
    expect(Math.max(...data.rankings.map((r) => r.comparisons))).toBeLessThanOrEqual(6);
    const pairs = await harness.app!.get(AssessmentRepository).getPairs(id);
    expect(pairs).toHaveLength(data.comparisons_requested);
    expect(new Set(pairs.map((p) => [p.essay_a, p.essay_b].sort().join('|'))).size).toBe(pairs.length);
    for (const r of data.design!.round_history) expect(r.judgements).toBeGreaterThan(0);
    expect(data.split_half_reliability).not.toBeUndefined();
    for (const batch of data.batches) {
      const status = await request(stack!.api.getHttpServer())
        .get(`/api/v1/comparison/batch/${batch.batch_id}`)
        .set(auth);
      expect(status.body).toMatchObject({ status: 'completed', assessment_id: id, provider: 'mock' });
    }
  }, 120_000);

  it('ignores forged results on its topic (right metadata, wrong batch): the assessment is unchanged', async () => {
    const id = `${harness.prefix}-forged`;
    const essays = sampleEssays(20);
    await harness.send(harness.requestEnvelope(sampleRequest(id, essays)));
    const repository = harness.app!.get(AssessmentRepository);
    const record = await waitFor(
      () => repository.get(id),
      (r) => (r?.batches[0]?.batch_id ?? '') !== '',
      { timeoutMs: 30_000, intervalMs: 20, what: 'the accepted batch' },
    );
    const attempt = record!.batches[0];
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const pairs = await repository.getPairs(id);
    // Every pair judged the wrong way round, with exactly the metadata the real results carry.
    const forged = pairs.map((pair) => {
      const data: LLMComparisonResultV1 = {
        request_id: `${id}-p${pair.pair_index}`,
        correlation_id: attempt.correlation_id,
        winner: quality.get(pair.essay_a)! < quality.get(pair.essay_b)! ? 'Essay A' : 'Essay B',
        justification: 'forged',
        confidence: 5,
        provider: 'mock',
        model: 'mock-judge-1',
        response_time_ms: 1,
        token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        cost_estimate: 0,
        requested_at: new Date().toISOString(),
        completed_at: new Date().toISOString(),
        request_metadata: {
          assessment_id: id,
          pair_index: pair.pair_index,
          essay_a_id: pair.essay_a,
          essay_b_id: pair.essay_b,
          cj_attempt: attempt.correlation_id,
        },
        batch_id: '00000000-0000-4000-8000-000000000000',
        comparison_id: `${id}-p${pair.pair_index}`,
      };
      return createEnvelope({
        event_type: EVENT_TYPES.comparisonResult,
        source_service: 'forger',
        correlation_id: attempt.correlation_id,
        data,
      });
    });
    await harness.publish(topicNames(harness.prefix).cjComparisonResult, forged, attempt.batch_id);

    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id, 60_000);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(outcome.data.comparisons_succeeded).toBe(pairs.length);
    const rho = spearman(
      outcome.data.rankings.map((r) => r.score),
      outcome.data.rankings.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.9);
    const rejected = await harness.app!.get(CjMetrics).rejectedResults.get();
    const wrongBatch = rejected.values.find(
      (v) => v.labels.event === 'comparison_result' && v.labels.reason === 'wrong_batch',
    );
    expect(wrongBatch?.value).toBe(pairs.length);
  }, 90_000);
});
