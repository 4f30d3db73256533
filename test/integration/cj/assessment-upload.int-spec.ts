import { Redis } from 'ioredis';
import request from 'supertest';
import { AssessmentRepository, assessmentUploadKey } from '#assessment-store';
import { spearman } from '#cj-scoring';
import { withHiddenQuality } from '../../../libs/llm-providers/src/mock/hidden-quality.js';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { CjHarness } from './support/cj-harness.js';
import { assessmentEnded, startStack, stopStack } from './support/real-stack.js';
import { observeRequested, type RequestedObserver } from './support/requested-observer.js';

const KEY = 'upload-rest-key-0123456789';
const auth = { Authorization: `Bearer ${KEY}` };
const UPLOADS = '/api/v1/assessments/uploads';
const ESSAYS = 300;
const PART_MAX_BYTES = 400_000;

/** ~3,000-character essays (a secondary-school essay) carrying the Mock's hidden quality marker. */
function essays() {
  return sampleEssays(ESSAYS).map((e, i) => ({
    ...e,
    essay_id: `up-${String(i).padStart(4, '0')}`,
    text: withHiddenQuality(
      `${e.text} ${'The essay develops its argument with a reason, an example and a counter-argument. '.repeat(36)}`,
      e.quality,
    ),
  }));
}

/**
 * One REST assessment uploaded in parts (create → 3 parts → seal) and run end to end through cj-integration:
 * nothing runs before the seal, the published event carries only a reference to the upload's parts, and the
 * ranking matches the hidden quality order.
 */
describe('a REST assessment uploaded in parts runs end to end (real api, Redis, Kafka, cj-integration)', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let observer: RequestedObserver | undefined;

  beforeAll(async () => {
    stack = await startStack(
      harness,
      { MOCK_LATENCY_MS: '200' },
      {
        extraApiKeys: [`uploader:${KEY}`],
        apiEnv: { UPLOAD_PART_MAX_BYTES: String(PART_MAX_BYTES) },
      },
    );
    observer = await observeRequested(harness);
  }, 120_000);
  afterAll(async () => {
    await observer?.stop();
    await stopStack(harness, stack);
  }, 60_000);

  it('uploads 300 essays of ~3,000 characters in 3 parts, seals, and ranks them correctly', async () => {
    const http = () => request(stack!.api.getHttpServer());
    const id = `${harness.prefix}-upload`;
    const all = essays();
    expect(all[0].text.length).toBeGreaterThan(2_900);
    const { essays: _inline, ...header } = sampleRequest(id, all);

    const created = await http().post(UPLOADS).set(auth).send(header).expect(201);
    expect(created.body).toMatchObject({
      assessment_id: id,
      status: 'open',
      parts: 0,
      essays: 0,
      part_max_bytes: PART_MAX_BYTES,
    });
    const uploadId = created.body.upload_id as string;
    const put = (n: number, page: typeof all) =>
      http()
        .put(`${UPLOADS}/${uploadId}/parts/${n}`)
        .set(auth)
        .send({ essays: page.map(({ essay_id, text }) => ({ essay_id, text })) });

    // Pages of 100 essays (~310 KB each); part 2 first sent short, then re-sent whole (a client retry replaces it).
    await put(1, all.slice(0, 100)).expect(200);
    await put(2, all.slice(100, 110)).expect(200);
    await put(3, all.slice(200, 300)).expect(200);
    const status = await put(2, all.slice(100, 200)).expect(200);
    expect(status.body).toMatchObject({ parts: 3, essays: ESSAYS, status: 'open' });
    // Nothing runs before the seal.
    expect(await stack!.api.get(AssessmentRepository).get(id)).toBeNull();
    await http().get(`/api/v1/assessments/${id}`).set(auth).expect(404);

    const sealed = await http().post(`${UPLOADS}/${uploadId}/seal`).set(auth).expect(202);
    expect(sealed.body).toMatchObject({
      assessment_id: id,
      status_url: `/api/v1/assessments/${id}`,
      report_url: `/api/v1/assessments/${id}/report`,
      quote: { comparisons: (ESSAYS * 10) / 2, provider: 'mock' },
    });
    const again = await http().post(`${UPLOADS}/${uploadId}/seal`).set(auth).expect(202);
    expect(again.body.quote).toEqual(sealed.body.quote);
    await put(4, all.slice(0, 1)).expect(409);

    const event = await observer!.requestOf(id);
    expect(event!.bytes).toBeLessThan(10_000);
    expect(event!.envelope.data).toMatchObject({
      assessment_id: id,
      essays: [],
      essays_ref: { store: 'assessment-store', count: ESSAYS, upload_id: uploadId, parts: 3 },
    });

    const done = await assessmentEnded(stack!.api, auth, id, 120_000);
    expect(done.status).toBe('completed');
    expect(done.essay_count).toBe(ESSAYS);
    expect(done.cost.quote).toEqual(sealed.body.quote);
    const quality = new Map(all.map((e) => [e.essay_id, e.quality]));
    const rankings = done.result!.rankings;
    expect(rankings).toHaveLength(ESSAYS);
    expect(
      spearman(
        rankings.map((r) => r.score),
        rankings.map((r) => quality.get(r.essay_id)!),
      ),
    ).toBeGreaterThanOrEqual(0.9);

    // cj-integration holds its own copy: the upload's parts are gone, the sealed upload still answers.
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.exists(assessmentUploadKey(uploadId, ':parts'))).toBe(0);
      expect(await redis.exists(assessmentUploadKey(uploadId, ':essay_ids'))).toBe(0);
    } finally {
      await redis.quit();
    }
    const final = await http().get(`${UPLOADS}/${uploadId}`).set(auth).expect(200);
    expect(final.body).toMatchObject({
      status: 'sealed',
      essays: ESSAYS,
      status_url: `/api/v1/assessments/${id}`,
    });
    const repeat = await http().post(`${UPLOADS}/${uploadId}/seal`).set(auth).expect(202);
    expect(repeat.body).toMatchObject({ assessment_id: id, status: 'running', quote: sealed.body.quote });
  }, 240_000);
});
