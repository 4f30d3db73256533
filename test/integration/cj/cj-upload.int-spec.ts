import request from 'supertest';
import { EVENT_TYPES, type CJAssessmentCompletedV1 } from '#contracts';
import { spearman } from '#cj-scoring';
import { withHiddenQuality } from '../../../libs/llm-providers/src/mock/hidden-quality.js';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { API_KEY as CJ_TEST_KEY, CjHarness } from './support/cj-harness.js';
import { startStack, stopStack } from './support/real-stack.js';

const auth = { Authorization: `Bearer ${CJ_TEST_KEY}` };
const ESSAYS = 60;

/**
 * An assessment whose batch is larger than the api takes in one body: cj-integration (left at its default
 * CJ_API_MAX_BODY_BYTES, so it first tries one request) gets 413 and sends the batch as a multi-part upload.
 */
describe('CJ submits a batch too large for one body through the multi-part upload (real api, Redis, Kafka)', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;

  beforeAll(async () => {
    // 60 essays of ~1.5 KB and 600 comparisons make a ~200 KB body: over a 64 KB body limit, in 16 KB parts.
    stack = await startStack(
      harness,
      { MOCK_LATENCY_MS: '200' },
      { apiEnv: { API_BODY_LIMIT: '64kb', UPLOAD_PART_MAX_BYTES: '16000' } },
    );
  }, 120_000);
  afterAll(async () => stopStack(harness, stack), 60_000);

  it('falls back from 413 to create → parts → seal, and the assessment completes with the right order', async () => {
    const id = `${harness.prefix}-upload`;
    const essays = sampleEssays(ESSAYS).map((e) => ({
      ...e,
      text: withHiddenQuality(
        `${e.text} ${'A paragraph that develops the argument further. '.repeat(30)}`,
        e.quality,
      ),
    }));
    await harness.send(harness.requestEnvelope(sampleRequest(id, essays, { comparisons_per_essay: 20 })));

    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id, 90_000);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(outcome.data.comparisons_succeeded).toBe((ESSAYS * 20) / 2);
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rho = spearman(
      outcome.data.rankings.map((r) => r.score),
      outcome.data.rankings.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.9);

    // The batch is the sealed upload (a batch made from an upload has the upload's id), in several parts.
    const batchId = outcome.data.batches[0].batch_id;
    const upload = await request(stack!.api.getHttpServer())
      .get(`/api/v1/comparison/batch/uploads/${batchId}`)
      .set(auth)
      .expect(200);
    expect(upload.body).toMatchObject({
      status: 'sealed',
      batch_id: batchId,
      essays: ESSAYS,
      comparisons: (ESSAYS * 20) / 2,
    });
    expect(upload.body.parts).toBeGreaterThanOrEqual(12);
  }, 120_000);
});
