import { Redis } from 'ioredis';
import request from 'supertest';
import { requestEssaysKey } from '#assessment-store';
import { spearman } from '#cj-scoring';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { CjHarness } from './support/cj-harness.js';
import { assessmentEnded, startStack, stopStack } from './support/real-stack.js';
import { observeRequested, type RequestedObserver } from './support/requested-observer.js';

const KEY = 'large-rest-key-0123456789';
const auth = { Authorization: `Bearer ${KEY}` };
const ESSAYS = 40;
const MAX_EVENT_BYTES = 20_000;

/**
 * A REST assessment larger than one Kafka record (here ASSESSMENT_MAX_EVENT_BYTES = 20 KB; ~1 MB in production):
 * the api stores its essays in the assessment store and publishes CJAssessmentRequestedV1 with `essays_ref`;
 * cj-integration loads them and runs the assessment as if they had been inline.
 */
describe('a REST assessment too large for one Kafka record goes by reference (real api, Redis, Kafka)', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let observer: RequestedObserver | undefined;

  beforeAll(async () => {
    stack = await startStack(
      harness,
      { MOCK_LATENCY_MS: '200' },
      {
        extraApiKeys: [`large:${KEY}`],
        apiEnv: { ASSESSMENT_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) },
      },
    );
    observer = await observeRequested(harness);
  }, 120_000);
  afterAll(async () => {
    await observer?.stop();
    await stopStack(harness, stack);
  }, 60_000);

  it('stores the essays, publishes a small event with essays_ref, and the assessment completes', async () => {
    const id = `${harness.prefix}-large`;
    const essays = sampleEssays(ESSAYS).map((e) => ({
      ...e,
      text: `${'The essay weighs both views of the policy with reasons and examples. '.repeat(20)}\n\n${e.text}`,
    }));
    const body = sampleRequest(id, essays);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(2 * MAX_EVENT_BYTES);
    const http = () => request(stack!.api.getHttpServer());
    const accepted = await http().post('/api/v1/assessments').set(auth).send(body);
    expect(accepted.status).toBe(202);

    const event = await observer!.requestOf(id);
    expect(event!.bytes).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(event!.envelope.data).toMatchObject({
      assessment_id: id,
      essays: [],
      essays_ref: {
        store: 'assessment-store',
        count: ESSAYS,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });

    const done = await assessmentEnded(stack!.api, auth, id, 90_000);
    expect(done.status).toBe('completed');
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rankings = done.result!.rankings;
    expect(rankings).toHaveLength(ESSAYS);
    expect(
      spearman(
        rankings.map((r) => r.score),
        rankings.map((r) => quality.get(r.essay_id)!),
      ),
    ).toBeGreaterThanOrEqual(0.9);
    // cj-integration keeps its own copy: the api's by-reference copy is gone.
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.exists(requestEssaysKey(id))).toBe(0);
    } finally {
      await redis.quit();
    }
  }, 150_000);
});
