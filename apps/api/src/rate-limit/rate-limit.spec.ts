import { jest } from '@jest/globals';
import { request as httpRequest, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  bearer,
  batchBody,
  createApiTestApp,
  singleBody,
  TEST_API_KEYS,
  type ApiTestApp,
} from '../testing/api-test-app.js';
import { parseTenantRateLimits } from './tenant-limits.js';

jest.setTimeout(30_000);

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';
const [ALPHA, BETA] = TEST_API_KEYS;

describe('per-tenant rate limits → 429 with Retry-After', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();

  beforeEach(async () => {
    t = await createApiTestApp({
      settings: {
        rateLimits: {
          defaults: { requestsPerSecond: 3, comparisonsInFlight: 5 },
          perTenant: parseTenantRateLimits(`{"${'k_'}unused":{"requests_per_second":1}}`),
        },
      },
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await t.app.close();
  });

  it('refuses a tenant’s requests above its per-second rate before reading the body; other tenants unaffected', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 10, 30, 8, 0, 0, 100));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await request(server())
        .get(`${BATCH}/3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f`)
        .set('Authorization', bearer(ALPHA));
      statuses.push(res.status);
    }
    expect(statuses).toEqual([404, 404, 404, 429]);
    const limited = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .set('Content-Type', 'application/json')
      .send('{"this body": is never parsed');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error).toMatchObject({ code: 'RATE_LIMIT', retryable: true });
    expect(t.store.records.size).toBe(0);
    // Another tenant has its own window.
    await request(server()).post(BATCH).set('Authorization', bearer(BETA)).send(batchBody(1)).expect(202);
  });

  it('refuses a batch that would put more comparisons in flight than allowed, until earlier ones finish', async () => {
    const first = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .send(batchBody(3))
      .expect(202);
    const refused = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .send({ ...batchBody(3), correlation_id: 'second' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.body.error).toMatchObject({
      code: 'RATE_LIMIT',
      details: { limit: 'comparisons_in_flight', max: 5, in_flight: 3 },
    });
    expect(t.store.records.size).toBe(1);
    expect(t.queues.jobs).toHaveLength(1);
    // Another tenant is not affected.
    await request(server()).post(BATCH).set('Authorization', bearer(BETA)).send(batchBody(3)).expect(202);
    // Once the first batch is finished, its allowance is free again.
    t.store.finish(first.body.batch_id, []);
    await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .send({ ...batchBody(3), correlation_id: 'second' })
      .expect(202);
  });
});

describe('per-tenant rate limits on the individual endpoint (checked with its in-flight allowance, before the body)', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();
  /** The batch ids holding some of the tenants' in-flight allowance. */
  const holders = () => [...t.store.tenantLoad.inFlight.values()].flatMap((held) => [...held.keys()]).sort();
  const submit = (body: unknown) =>
    request(server())
      .post(SINGLE)
      .set('Authorization', bearer(ALPHA))
      .send(body as object);

  afterEach(async () => {
    jest.restoreAllMocks();
    await t.app.close();
  });

  it('refuses requests above the per-second rate whatever their body, a large one unread, holding no allowance for them', async () => {
    t = await createApiTestApp({
      settings: {
        rateLimits: { defaults: { requestsPerSecond: 2, comparisonsInFlight: 5 }, perTenant: new Map() },
      },
    });
    jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 10, 30, 8, 0, 0, 100));
    const accepted = [
      (await submit(singleBody()).expect(202)).body.queue_id,
      (await submit(singleBody()).expect(202)).body.queue_id,
    ];
    const limited = await request(server())
      .post(SINGLE)
      .set('Authorization', bearer(ALPHA))
      .set('Content-Type', 'application/json')
      .send('{"this body": is never parsed');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error).toMatchObject({
      code: 'RATE_LIMIT',
      details: { limit: 'requests_per_second', max: 2 },
    });
    // A small body is read while the admission is under way: valid or not, the answer is still the 429.
    const { essay_b: _missing, ...invalid } = singleBody();
    for (const body of [singleBody(), invalid]) {
      const refused = await submit(body);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('RATE_LIMIT');
    }
    // A large one is not read at all: the connection is closed behind the 429.
    const large = await submit({ ...singleBody(), essay_a: 'x'.repeat(100_000) });
    expect(large.status).toBe(429);
    expect(large.headers.connection).toBe('close');
    expect(holders()).toEqual(accepted.sort());
    expect(t.store.records.size).toBe(2);
  });

  it('holds one comparison per accepted request; at the limit a bad body is still a 400 and a good one a 429, and refused requests hold nothing', async () => {
    t = await createApiTestApp({
      settings: {
        rateLimits: { defaults: { requestsPerSecond: 100, comparisonsInFlight: 2 }, perTenant: new Map() },
      },
    });
    const { essay_b: _missing, ...invalid } = singleBody();
    const bad = await submit(invalid).expect(400);
    expect(bad.body.error.field).toBe('essay_b');
    expect(holders()).toEqual([]);

    // The allowance taken before the body was read is the one the acceptance keeps: the store is not asked again.
    const acquire = jest.spyOn(t.store.tenantLoad, 'acquire');
    const first = (await submit(singleBody()).expect(202)).body.queue_id as string;
    const second = (await submit(singleBody()).expect(202)).body.queue_id as string;
    expect(acquire).not.toHaveBeenCalled();
    expect(holders()).toEqual([first, second].sort());

    expect((await submit(invalid).expect(400)).body.error.field).toBe('essay_b');
    const refused = await submit(singleBody()).expect(429);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.body.error).toMatchObject({
      code: 'RATE_LIMIT',
      details: { limit: 'comparisons_in_flight', max: 2, in_flight: 2 },
    });
    expect(holders()).toEqual([first, second].sort());
    expect(t.store.records.size).toBe(2);

    // Once one is finished its allowance is free again (found stale and given back at the next refusal).
    t.store.finish(first, []);
    const third = (await submit(singleBody()).expect(202)).body.queue_id as string;
    expect(holders()).toEqual([second, third].sort());
  });
});

describe('an individual admission whose response closed before its round trip ended', () => {
  let t: ApiTestApp;

  afterEach(async () => {
    jest.restoreAllMocks();
    await t.app.close();
  });

  it('gives back the in-flight allowance it took for the gone caller at once', async () => {
    t = await createApiTestApp({
      settings: {
        rateLimits: { defaults: { requestsPerSecond: 100, comparisonsInFlight: 5 }, perTenant: new Map() },
      },
    });
    const load = t.store.tenantLoad;
    // The admission's round trip is held until the caller has gone.
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const hitAndAcquire = load.hitAndAcquire.bind(load);
    let admitted = '';
    jest.spyOn(load, 'hitAndAcquire').mockImplementation(async (tenant, now, perSecond, inflight) => {
      await held;
      admitted = inflight?.batchId ?? '';
      return hitAndAcquire(tenant, now, perSecond, inflight);
    });
    // The first give-back, and whether anything was stored by then (the request, complete, is still accepted
    // afterwards: it then holds an allowance of its own for the batch it stores).
    const firstRelease = new Promise<{ batchId: string; stored: number }>((resolve) => {
      const release = load.release.bind(load);
      jest.spyOn(load, 'release').mockImplementation((tenant, batchId) => {
        resolve({ batchId, stored: t.store.records.size });
        return release(tenant, batchId);
      });
    });

    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const arrived = new Promise<ServerResponse>((resolve) =>
      server.once('request', (_req: unknown, res: ServerResponse) => resolve(res)),
    );
    const body = JSON.stringify(singleBody());
    const client = httpRequest({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      method: 'POST',
      path: SINGLE,
      headers: {
        authorization: bearer(TEST_API_KEYS[0]),
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        prefer: 'wait=5',
      },
    });
    client.on('error', () => undefined);
    client.end(body);
    const res = await arrived;
    const closed = new Promise((resolve) => res.once('close', resolve));
    client.destroy();
    await closed;
    answer();

    expect(await firstRelease).toEqual({ batchId: admitted, stored: 0 });
  });
});

describe('parseTenantRateLimits (TENANT_RATE_LIMITS)', () => {
  it('reads per-tenant overrides', () => {
    expect(
      parseTenantRateLimits('{"cj":{"requests_per_second":100,"comparisons_in_flight":500000}}').get('cj'),
    ).toEqual({
      requestsPerSecond: 100,
      comparisonsInFlight: 500000,
    });
  });

  it.each([
    'x',
    '{"a":{"requests_per_second":0}}',
    '{"a":{"burst":3}}',
    '{"bad name":{}}',
    '{"a":{"comparisons_in_flight":1.5}}',
  ])('refuses %s', (value) => {
    expect(() => parseTenantRateLimits(value)).toThrow();
  });
});
