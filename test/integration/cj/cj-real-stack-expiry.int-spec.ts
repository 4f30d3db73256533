import { EVENT_TYPES, type CJAssessmentFailedV1 } from '#contracts';
import request from 'supertest';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { API_KEY as CJ_TEST_KEY, CjHarness } from './support/cj-harness.js';
import { startStack, stopStack } from './support/real-stack.js';

const auth = { Authorization: `Bearer ${CJ_TEST_KEY}` };

// Its own file: the CJ module takes its topics when first loaded, so each stack needs a fresh module registry.
describe('CJ on the real comparison service when every provider batch expires', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;

  beforeAll(async () => {
    stack = await startStack(harness, { MOCK_EXPIRY_RATE: '1' });
  }, 120_000);
  afterAll(async () => stopStack(harness, stack), 60_000);

  it('retries the batch once, whole, on the same provider/model, then publishes CJAssessmentFailedV1', async () => {
    const id = `${harness.prefix}-expiring`;
    await harness.send(
      harness.requestEnvelope(sampleRequest(id, sampleEssays(8), { comparisons_per_essay: 4 })),
    );

    const outcome = await harness.outcome<CJAssessmentFailedV1>(id, 60_000);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentFailed);
    expect(outcome.data.reason_code).toBe('BATCH_FAILED');
    expect(outcome.data.batches.map((b) => [b.kind, b.attempt, b.status])).toEqual([
      ['main', 1, 'expired'],
      ['main', 2, 'expired'],
    ]);
    const statuses = await Promise.all(
      outcome.data.batches.map(
        async (b) =>
          (await request(stack!.api.getHttpServer()).get(`/api/v1/comparison/batch/${b.batch_id}`).set(auth))
            .body,
      ),
    );
    expect(
      statuses.map((s: { provider: string; model: string; counts: { total: number } }) => [
        s.provider,
        s.model,
        s.counts.total,
      ]),
    ).toEqual([
      ['mock', 'mock-judge-1', 16],
      ['mock', 'mock-judge-1', 16],
    ]);
  }, 90_000);
});
