import request from 'supertest';
import { EVENT_TYPES, type CJAssessmentCompletedV1 } from '#contracts';
import { spearman } from '#cj-scoring';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { API_KEY as CJ_TEST_KEY, CjHarness } from './support/cj-harness.js';
import { startStack, stopStack } from './support/real-stack.js';

const auth = { Authorization: `Bearer ${CJ_TEST_KEY}` };

describe('CJ on the real comparison service (api + batch-worker + Mock, real Redis + Kafka)', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;

  beforeAll(async () => {
    stack = await startStack(harness);
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
});
