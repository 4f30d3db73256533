import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { UploadRepository } from '#batch-store';
import { waitFor } from '../worker/support/batch-factory.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';
import { auth, startApi, TEST_PROVIDER_ENV } from './support/api-harness.js';

const UPLOADS = '/api/v1/comparison/batch/uploads';
const ESSAYS = 400;
const COMPARISONS = 2_000;

/** ~3 KB essays (a secondary-school essay) whose hidden quality marker lets the Mock judge decide. */
function essay(i: number): { essay_id: string; text: string } {
  const body = `Essay ${i} argues that homework builds independence, with examples and a conclusion. `.repeat(
    36,
  );
  return { essay_id: `e-${i}`, text: `${body}[[quality:${(i % 100) / 100}]]` };
}

function comparison(i: number) {
  return {
    comparison_id: `p-${i}`,
    essay_a_id: `e-${i % ESSAYS}`,
    essay_b_id: `e-${(i * 7 + 3) % ESSAYS}`,
    metadata: { assessment_id: 'asmt-upload', pair_index: i },
  };
}

describe('multi-part upload: create → parts → seal (real Redis, worker in-process)', () => {
  let worker: RunningWorker;
  let api: NestExpressApplication;
  const server = () => api.getHttpServer();

  beforeAll(async () => {
    worker = await startWorker({}, TEST_PROVIDER_ENV);
    // Parts of at most 400 KB: the 1.2 MB of essays must arrive in several parts.
    api = await startApi(worker.env.REDIS_KEY_PREFIX, {
      UPLOAD_PART_MAX_BYTES: '400000',
      UPLOAD_TTL_SECONDS: '60',
    });
  });

  afterAll(async () => {
    await api.close();
    await worker.stop();
    await clearPrefix(worker);
  });

  it('processes nothing before the seal, then runs the whole batch in comparison order', async () => {
    const created = await request(server())
      .post(UPLOADS)
      .set(auth)
      .send({ correlation_id: `up-${randomUUID()}`, user_prompt: 'Which essay argues better?' })
      .expect(201);
    expect(created.body).toMatchObject({ status: 'open', part_max_bytes: 400_000, parts: 0 });
    const id = created.body.upload_id as string;
    const put = (n: number, body: object) =>
      request(server()).put(`${UPLOADS}/${id}/parts/${n}`).set(auth).send(body);

    // A part over the limit is refused whole.
    const all = Array.from({ length: ESSAYS }, (_, i) => essay(i));
    expect((await put(1, { essays: all })).status).toBe(413);
    // Essays in pages of 100 (~300 KB), comparisons in two pages sent out of order.
    for (let p = 0; p < 4; p++) {
      await put(p + 1, { essays: all.slice(p * 100, p * 100 + 100) }).expect(200);
    }
    const comparisons = Array.from({ length: COMPARISONS }, (_, i) => comparison(i));
    await put(6, { comparisons: comparisons.slice(1_000) }).expect(200);
    // A part re-sent (a client retry) replaces itself.
    await put(5, { comparisons: comparisons.slice(0, 10) }).expect(200);
    const status = await put(5, { comparisons: comparisons.slice(0, 1_000) }).expect(200);
    expect(status.body).toMatchObject({ parts: 6, essays: ESSAYS, comparisons: COMPARISONS, status: 'open' });
    // Nothing processed before the seal: no batch, nothing queued.
    expect(await worker.repo.get(id)).toBeNull();

    const sealed = await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(202);
    expect(sealed.body).toMatchObject({ batch_id: id, comparison_count: COMPARISONS });
    const again = await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(202);
    expect(again.body.batch_id).toBe(id);
    await put(7, { comparisons: [comparison(9_999)] }).expect(409);

    const stored = await worker.repo.getRequests(id);
    expect(stored.map((r) => r.comparison_id)).toEqual(comparisons.map((c) => c.comparison_id));
    expect(stored[1_500].essay_a).toBe(all[1_500 % ESSAYS].text);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.hlen(worker.repo.keys.essays(id))).toBe(ESSAYS);
      expect(await redis.exists(api.get(UploadRepository).partsKey(id))).toBe(0);
    } finally {
      await redis.quit();
    }

    const done = await waitFor(
      'uploaded batch completed',
      async () => {
        const record = await worker.repo.get(id);
        return record?.status === 'completed' ? record : undefined;
      },
      60_000,
      100,
    );
    expect(done.counts).toEqual({ succeeded: COMPARISONS, failed: 0, pending: 0 });
  });

  it('refuses a seal whose comparisons name an essay never uploaded, naming the field; another tenant sees 404', async () => {
    const created = await request(server())
      .post(UPLOADS)
      .set(auth)
      .send({ user_prompt: 'Which essay argues better?' })
      .expect(201);
    const id = created.body.upload_id as string;
    await request(server())
      .put(`${UPLOADS}/${id}/parts/1`)
      .set(auth)
      .send({
        essays: [essay(1), essay(2)],
        comparisons: [{ ...comparison(0), essay_a_id: 'e-1', essay_b_id: 'e-404' }],
      })
      .expect(200);
    const refused = await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'comparisons[0].essay_b_id' });
    expect(await worker.repo.get(id)).toBeNull();
    await request(server()).get(`${UPLOADS}/${randomUUID()}`).set(auth).expect(404);
  });

  it('checks the quote of the uploaded content against max_cost_usd at the seal (422 naming it, nothing created)', async () => {
    await request(server())
      .post(UPLOADS)
      .set(auth)
      .send({ user_prompt: 'Which essay argues better?', max_cost_usd: -1 })
      .expect(400)
      .expect((res) => expect(res.body.error.field).toBe('max_cost_usd'));
    const upload = async (maxCostUsd: number) => {
      const created = await request(server())
        .post(UPLOADS)
        .set(auth)
        .send({
          user_prompt: 'Which essay argues better?',
          llm_config_overrides: { provider_override: 'mock' },
          max_cost_usd: maxCostUsd,
        })
        .expect(201);
      const id = created.body.upload_id as string;
      await request(server())
        .put(`${UPLOADS}/${id}/parts/1`)
        .set(auth)
        .send({
          essays: [essay(1), essay(2)],
          comparisons: [{ comparison_id: 'c-0', essay_a_id: 'e-1', essay_b_id: 'e-2' }],
        })
        .expect(200);
      return id;
    };
    const tooCheap = await upload(0);
    const refused = await request(server()).post(`${UPLOADS}/${tooCheap}/seal`).set(auth).expect(422);
    expect(refused.body.error).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', field: 'max_cost_usd' });
    expect(refused.body.error.details.quote.estimated_cost_usd).toBeGreaterThan(0);
    expect(await worker.repo.get(tooCheap)).toBeNull();
    await request(server())
      .get(`${UPLOADS}/${tooCheap}`)
      .set(auth)
      .expect(200)
      .expect((res) => expect(res.body.status).toBe('open'));

    const enough = await upload(1_000);
    await request(server()).post(`${UPLOADS}/${enough}/seal`).set(auth).expect(202);
    const status = await request(server()).get(`/api/v1/comparison/batch/${enough}`).set(auth).expect(200);
    expect(status.body.quote).toMatchObject({ comparisons: 1, provider: 'mock' });
  });

  it('lets an unsealed upload expire with its parts', async () => {
    const created = await request(server())
      .post(UPLOADS)
      .set(auth)
      .send({ user_prompt: 'Which essay argues better?' })
      .expect(201);
    const id = created.body.upload_id as string;
    await request(server())
      .put(`${UPLOADS}/${id}/parts/1`)
      .set(auth)
      .send({ essays: [essay(1)] })
      .expect(200);
    const uploads = api.get(UploadRepository);
    const redis = new Redis(REDIS_URL);
    try {
      const ttl = await redis.ttl(uploads.partsKey(id));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
      expect(await redis.ttl(uploads.metaKey(id))).toBeLessThanOrEqual(60);
      // Expiry is Redis's job: make it happen now instead of waiting a minute.
      await redis.pexpire(uploads.metaKey(id), 1);
      await redis.pexpire(uploads.partsKey(id), 1);
      await waitFor('upload gone', async () =>
        (await redis.exists(uploads.partsKey(id))) === 0 ? true : undefined,
      );
    } finally {
      await redis.quit();
    }
    await request(server()).get(`${UPLOADS}/${id}`).set(auth).expect(404);
    await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(404);
  });
});
