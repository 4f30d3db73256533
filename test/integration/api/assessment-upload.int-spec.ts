import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  AssessmentSubmissionRepository,
  AssessmentUploadRepository,
  uploadEssaysRef,
} from '#assessment-store';
import { waitFor } from '../../support/wait-for.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { API_KEY, auth, startApi, TEST_TENANT } from './support/api-harness.js';

const UPLOADS = '/api/v1/assessments/uploads';
const OTHER_KEY = 'other-tenant-key-0123456789';
const other = { Authorization: `Bearer ${OTHER_KEY}` };
const KEYS = { API_KEYS: `${TEST_TENANT}:${API_KEY},other-tenant:${OTHER_KEY}` };

function header(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    assignment: 'Argue for or against school uniforms.',
    criteria: 'Reward a clear position with reasons and examples.',
    llm_config: { provider_override: 'mock' },
    comparisons_per_essay: 2,
    ...patch,
  };
}

function essay(i: number): { essay_id: string; text: string } {
  return { essay_id: `e-${i}`, text: `Essay ${i} argues with a reason and an example. [[quality:0.${i}]]` };
}

/**
 * The part upload of POST /api/v1/assessments/uploads against real Redis: what it refuses (naming the field), what a
 * re-sent part releases, tenant isolation and expiry. No seal here succeeds (nothing is published to Kafka); the
 * end-to-end run is test/integration/cj/assessment-upload.int-spec.ts.
 */
describe('assessment part upload: refusals, tenants, expiry (real Redis)', () => {
  let api: NestExpressApplication;
  const server = () => api.getHttpServer();
  const prefix = `asmt-up-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    api = await startApi(prefix, {
      ...KEYS,
      UPLOAD_PART_MAX_BYTES: '2000',
      UPLOAD_TTL_SECONDS: '60',
      MAX_ESSAYS_PER_BATCH: '5',
    });
  });
  afterAll(async () => api.close());

  const create = async (body = header()) =>
    (await request(server()).post(UPLOADS).set(auth).send(body).expect(201)).body.upload_id as string;
  const put = (id: string, n: number | string, body: unknown) =>
    request(server())
      .put(`${UPLOADS}/${id}/parts/${n}`)
      .set(auth)
      .send(body as object);
  const fieldOf = (res: request.Response) => (res.body as { error: { field?: string } }).error.field;

  it('validates the header in full at create, naming the field', async () => {
    const refused = async (body: Record<string, unknown>, status = 400) =>
      fieldOf(await request(server()).post(UPLOADS).set(auth).send(body).expect(status));
    expect(await refused(header({ essays: [essay(1), essay(2)] }))).toBe('essays');
    expect(await refused(header({ colour: 'blue' }))).toBe('colour');
    expect(await refused(header({ criteria: '' }))).toBe('criteria');
    expect(await refused(header({ comparisons_per_essay: 0 }))).toBe('comparisons_per_essay');
    expect(await refused(header({ assessment_id: 'no spaces allowed' }))).toBe('assessment_id');
    expect(await refused(header({ max_cost_usd: -1 }))).toBe('max_cost_usd');
    expect(await refused(header({ llm_config: { provider_override: 'nope' } }))).toMatch(/^llm_config/);
    expect(
      await refused(
        header({ llm_config_overrides: { provider_override: 'mock', temperature_override: 0.5 } }),
      ),
    ).toBe('llm_config_overrides');
    // An id already claimed (by any tenant) is refused before a single part is sent.
    const taken = `${prefix}-taken`;
    await api.get(AssessmentSubmissionRepository).claim(
      {
        assessment_id: taken,
        tenant_id: 'someone-else',
        key_id: 'k',
        request_hash: 'h',
        correlation_id: 'c',
        accepted_at: new Date().toISOString(),
        quote: null,
      },
      60,
    );
    expect(await refused(header({ assessment_id: taken }), 409)).toBe('assessment_id');
    try {
      const created = await request(server())
        .post(UPLOADS)
        .set(auth)
        .send(header({ assessment_id: `${prefix}-free` }))
        .expect(201);
      expect(created.body).toMatchObject({ assessment_id: `${prefix}-free`, status: 'open', parts: 0 });
    } finally {
      await api.get(AssessmentSubmissionRepository).release(taken);
    }
  });

  it('checks each part like the one-body form (part-relative index) and refuses an essay_id another part holds', async () => {
    const id = await create();
    expect(fieldOf(await put(id, 1, { essays: [essay(1), { essay_id: 'e-2', text: '' }] }).expect(400))).toBe(
      'essays[1].text',
    );
    expect(fieldOf(await put(id, 1, { essays: [essay(1)], comparisons: [] }).expect(400))).toBe(
      'comparisons',
    );
    expect(fieldOf(await put(id, 1, { essays: [] }).expect(400))).toBe('essays');
    expect(fieldOf(await put(id, 1, { essays: [essay(1), essay(1)] }).expect(400))).toBe(
      'essays[1].essay_id',
    );
    expect(fieldOf(await put(id, 1, { essays: [{ essay_id: 'bad id', text: 'x' }] }).expect(400))).toBe(
      'essays[0].essay_id',
    );
    expect(fieldOf(await put(id, 0, { essays: [essay(1)] }).expect(400))).toBe('part_number');
    expect(fieldOf(await put(id, 'x', { essays: [essay(1)] }).expect(400))).toBe('part_number');
    const big = { essay_id: 'e-big', text: 'A long essay. '.repeat(200) };
    await put(id, 1, { essays: [big] }).expect(413);

    await put(id, 1, { essays: [essay(0), essay(1)] }).expect(200);
    const dup = await put(id, 2, { essays: [essay(2), essay(1)] }).expect(400);
    expect(dup.body.error).toMatchObject({ field: 'essays[1].essay_id', details: { part_number: 1 } });
    // A re-sent part replaces itself: its own ids are no conflict, and the ids it drops are free again.
    await put(id, 1, { essays: [essay(1), essay(5)] }).expect(200);
    const status = await put(id, 2, { essays: [essay(0), essay(2)] }).expect(200);
    expect(status.body).toMatchObject({ parts: 2, essays: 4, status: 'open' });
    // MAX_ESSAYS_PER_BATCH = 5 across all parts.
    expect(fieldOf(await put(id, 3, { essays: [essay(3), essay(4)] }).expect(400))).toBe('essays');
  });

  it('checks the totals and the quote at the seal; a refused seal leaves the upload open', async () => {
    const id = await create(header({ max_cost_usd: 0 }));
    await put(id, 1, { essays: [essay(1)] }).expect(200);
    const tooFew = await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(400);
    expect(fieldOf(tooFew)).toBe('essays');
    await put(id, 2, { essays: [essay(2), essay(3)] }).expect(200);
    const tooDear = await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(422);
    expect(tooDear.body.error).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', field: 'max_cost_usd' });
    expect(tooDear.body.error.details.quote).toMatchObject({ comparisons: 3, provider: 'mock' });
    const status = await request(server()).get(`${UPLOADS}/${id}`).set(auth).expect(200);
    expect(status.body).toMatchObject({ status: 'open', parts: 2, essays: 3 });
    expect(status.body.status_url).toBeUndefined();
  });

  it("answers 404 for another tenant's upload on every route, as for an unknown one", async () => {
    const id = await create();
    await put(id, 1, { essays: [essay(1), essay(2)] }).expect(200);
    await request(server()).get(`${UPLOADS}/${id}`).set(other).expect(404);
    await request(server())
      .put(`${UPLOADS}/${id}/parts/2`)
      .set(other)
      .send({ essays: [essay(3)] })
      .expect(404);
    await request(server()).post(`${UPLOADS}/${id}/seal`).set(other).expect(404);
    await request(server()).get(`${UPLOADS}/${randomUUID()}`).set(auth).expect(404);
    expect(fieldOf(await request(server()).get(`${UPLOADS}/not-a-uuid`).set(auth).expect(400))).toBe(
      'upload_id',
    );
    // The owner's upload is untouched.
    const status = await request(server()).get(`${UPLOADS}/${id}`).set(auth).expect(200);
    expect(status.body).toMatchObject({ parts: 1, essays: 2, status: 'open' });
  });

  it('reads the parts where they were written, in part order, for the assessment they were uploaded as only', async () => {
    const id = `${prefix}-read`;
    const uploadId = await create(header({ assessment_id: id }));
    await put(uploadId, 10, { essays: [essay(3)] }).expect(200);
    await put(uploadId, 2, { essays: [essay(1), essay(2)] }).expect(200);
    const state = await api.get(AssessmentUploadRepository).get(uploadId);
    const ref = uploadEssaysRef(uploadId, state!.parts);
    const submissions = api.get(AssessmentSubmissionRepository);
    expect(await submissions.loadRequestEssays(id, ref)).toEqual([essay(1), essay(2), essay(3)]);
    // A reference cannot borrow another assessment's upload, nor name other content.
    expect(await submissions.loadRequestEssays(`${id}-other`, ref)).toBe('mismatch');
    expect(await submissions.loadRequestEssays(id, { ...ref, sha256: 'ab'.repeat(32) })).toBe('mismatch');
    expect(await submissions.loadRequestEssays(id, { ...ref, count: 2 })).toBe('mismatch');
    await submissions.dropRequestEssays(id, ref);
    expect(await submissions.loadRequestEssays(id, ref)).toBeNull();
  });

  it('lets an unsealed upload expire: meta, parts and essay-id index all carry the TTL and disappear', async () => {
    const id = await create();
    await put(id, 1, { essays: [essay(1), essay(2)] }).expect(200);
    const keys = Object.values(api.get(AssessmentUploadRepository).keys(id));
    const redis = new Redis(REDIS_URL);
    try {
      for (const key of keys) {
        const ttl = await redis.ttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(60);
      }
      // Expiry is Redis's job (each key has its own TTL): make it happen now instead of waiting a minute.
      for (const key of keys) await redis.pexpire(key, 1);
      await waitFor(
        async () => redis.exists(...keys),
        (count) => count === 0,
        { timeoutMs: 10_000, what: 'the expired upload keys to disappear' },
      );
    } finally {
      await redis.quit();
    }
    await request(server()).get(`${UPLOADS}/${id}`).set(auth).expect(404);
    await put(id, 2, { essays: [essay(3)] }).expect(404);
    await request(server()).post(`${UPLOADS}/${id}/seal`).set(auth).expect(404);
  });
});
