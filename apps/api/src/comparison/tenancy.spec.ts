import { jest } from '@jest/globals';
import request from 'supertest';
import { keyIdOf } from '../auth/api-principal.js';
import {
  bearer,
  batchBody,
  createApiTestApp,
  singleBody,
  TEST_API_KEYS,
  type ApiTestApp,
} from '../testing/api-test-app.js';
import { storedResult } from '../testing/result-factory.js';

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';
const [ALPHA, BETA, ALPHA_TEAMMATE] = TEST_API_KEYS;
const UNKNOWN = '3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';

/** Status, code and message of a response, for comparing a foreign id's answer with an unknown id's. */
function shapeOf(res: request.Response, id: string) {
  return {
    status: res.status,
    code: res.body.error?.code,
    message: String(res.body.error?.message).replace(id, '<id>'),
    field: res.body.error?.field,
  };
}

jest.setTimeout(30_000);

describe('tenants: every key sees only its own tenant’s work', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();

  beforeEach(async () => {
    t = await createApiTestApp();
  });

  afterEach(async () => {
    await t.app.close();
  });

  it('answers another tenant’s batch exactly like an unknown id: status, results, cancel', async () => {
    const own = await request(server()).post(BATCH).set('Authorization', bearer(ALPHA)).send(batchBody(2));
    expect(own.status).toBe(202);
    const id = own.body.batch_id as string;
    t.store.finish(id, [storedResult(0, 'pair-0')], 'in_progress');

    for (const [method, suffix] of [
      ['get', ''],
      ['get', '/results'],
      ['get', '/results?offset=0&limit=1'],
      ['post', '/cancel'],
    ] as const) {
      const foreign = await request(server())
        [method](`${BATCH}/${id}${suffix}`)
        .set('Authorization', bearer(BETA));
      const unknown = await request(server())
        [method](`${BATCH}/${UNKNOWN}${suffix}`)
        .set('Authorization', bearer(BETA));
      expect(shapeOf(foreign, id)).toEqual(shapeOf(unknown, UNKNOWN));
      expect(foreign.status).toBe(404);
    }
    expect(t.store.records.get(id)!.cancel_requested).toBeUndefined();

    // A second key of the same tenant sees it.
    await request(server()).get(`${BATCH}/${id}`).set('Authorization', bearer(ALPHA_TEAMMATE)).expect(200);
    await request(server())
      .post(`${BATCH}/${id}/cancel`)
      .set('Authorization', bearer(ALPHA_TEAMMATE))
      .expect(202);
  });

  it('answers another tenant’s individual comparison like an unknown id', async () => {
    const own = await request(server()).post(SINGLE).set('Authorization', bearer(BETA)).send(singleBody());
    const id = own.body.queue_id as string;
    const foreign = await request(server()).get(`${SINGLE}/${id}`).set('Authorization', bearer(ALPHA));
    const unknown = await request(server()).get(`${SINGLE}/${UNKNOWN}`).set('Authorization', bearer(ALPHA));
    expect(shapeOf(foreign, id)).toEqual(shapeOf(unknown, UNKNOWN));
    await request(server()).get(`${SINGLE}/${id}`).set('Authorization', bearer(BETA)).expect(200);
  });

  it('keeps idempotency keys per tenant: the same correlation_id makes two batches, never a 409 across', async () => {
    const a = await request(server()).post(BATCH).set('Authorization', bearer(ALPHA)).send(batchBody(2));
    const b = await request(server()).post(BATCH).set('Authorization', bearer(BETA)).send(batchBody(3));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.batch_id).not.toBe(a.body.batch_id);
    // Beta sending first did not make alpha's own repeat fail, and alpha's repeat returns alpha's batch.
    const again = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA_TEAMMATE))
      .send(batchBody(2));
    expect(again.status).toBe(202);
    expect(again.body.batch_id).toBe(a.body.batch_id);
    // Same with the Idempotency-Key header on the individual endpoint.
    const s1 = await request(server())
      .post(SINGLE)
      .set('Authorization', bearer(ALPHA))
      .set('Idempotency-Key', 'shared-key')
      .send(singleBody());
    const s2 = await request(server())
      .post(SINGLE)
      .set('Authorization', bearer(BETA))
      .set('Idempotency-Key', 'shared-key')
      .send({ ...singleBody(), essay_a: 'Different' });
    expect([s1.status, s2.status]).toEqual([202, 202]);
    expect(s2.body.queue_id).not.toBe(s1.body.queue_id);
    expect(t.store.records.size).toBe(4);
  });

  it('a 409 inside one tenant names the key’s field, never the existing batch id', async () => {
    const first = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .set('Idempotency-Key', 'k1')
      .send(batchBody(2));
    const conflict = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .set('Idempotency-Key', 'k1')
      .send(batchBody(3));
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatchObject({ code: 'CONFLICT', field: 'Idempotency-Key' });
    expect(conflict.body.error.details).toBeUndefined();
    expect(JSON.stringify(conflict.body)).not.toContain(first.body.batch_id);
  });

  it('stores the tenant on the record and never the key', async () => {
    const res = await request(server()).post(BATCH).set('Authorization', bearer(BETA)).send(batchBody(1));
    const record = t.store.records.get(res.body.batch_id)!;
    expect(record.tenant_id).toBe(keyIdOf(BETA));
    expect(JSON.stringify(record)).not.toContain(BETA);
  });

  it('counts requests per tenant and key id on /metrics, never with the key', async () => {
    await request(server()).post(BATCH).set('Authorization', bearer(BETA)).send(batchBody(1)).expect(202);
    const metrics = await request(server()).get('/metrics').set('Authorization', bearer(ALPHA)).expect(200);
    expect(metrics.text).toContain(
      `api_tenant_requests_total{tenant="${keyIdOf(BETA)}",key_id="${keyIdOf(BETA)}",status="202"`,
    );
    for (const key of TEST_API_KEYS) expect(metrics.text).not.toContain(key);
  });
});
