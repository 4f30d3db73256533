import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { Kafka, logLevel } from 'kafkajs';
import { ensureTopics, parseBrokers } from '#infra';
import { waitFor } from '../../support/wait-for.js';
import { KAFKA_BROKERS, REDIS_URL } from '../worker/support/store-harness.js';
import { markedComparisons, startApi } from './support/api-harness.js';

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';
/** Tenant `school-a` has two keys; the third key is its own tenant. */
const A1 = 'school-a-key-one-0123456789';
const A2 = 'school-a-key-two-0123456789';
const B = 'school-b-key-0123456789abcd';
const as = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('two tenants on the real store: each sees only its own work', () => {
  let api: NestExpressApplication;
  const prefix = `ten-${randomUUID().slice(0, 8)}`;
  /** Allowed for school-a but created only during the test. */
  const lateTopic = `${prefix}.results.v1`;
  const server = () => api.getHttpServer();

  beforeAll(async () => {
    // No worker: batches stay queued, which is all reads, pages, cancels and idempotency need.
    api = await startApi(prefix, {
      API_KEYS: `school-a:${A1},school-a:${A2},${B}`,
      TENANT_CALLBACK_TOPICS: JSON.stringify({ 'school-a': [lateTopic] }),
    });
  });

  afterAll(async () => {
    await api.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('answers 404 to another tenant’s status, results page and cancel; the owner’s other key sees it', async () => {
    const own = await request(server())
      .post(BATCH)
      .set(as(A1))
      .send({ comparisons: markedComparisons(5, 'asmt-tenant-a') })
      .expect(202);
    const id = own.body.batch_id as string;
    const unknown = randomUUID();

    for (const [method, path] of [
      ['get', `${BATCH}/${id}`],
      ['get', `${BATCH}/${id}/results?offset=0&limit=2`],
      ['post', `${BATCH}/${id}/cancel`],
    ] as const) {
      const foreign = await request(server())[method](path).set(as(B));
      const missing = await request(server())[method](path.replace(id, unknown)).set(as(B));
      expect(foreign.status).toBe(404);
      expect(foreign.body.error.code).toBe(missing.body.error.code);
      expect(foreign.body.error.message.replace(id, 'X')).toBe(
        missing.body.error.message.replace(unknown, 'X'),
      );
    }
    const status = await request(server()).get(`${BATCH}/${id}`).set(as(A2)).expect(200);
    expect(status.body.status).toBe('queued');
    expect(status.body.cancel_requested ?? false).toBe(false);
    await request(server()).get(`${BATCH}/${id}/results`).set(as(A2)).expect(200);
  });

  it('keeps idempotency keys independent per tenant, and a 409 names no batch', async () => {
    const body = (n: number) => ({ correlation_id: 'shared-corr', comparisons: markedComparisons(n) });
    const b = await request(server()).post(BATCH).set(as(B)).send(body(3)).expect(202);
    // B used the key first; A's own submission with another body still succeeds …
    const a = await request(server()).post(BATCH).set(as(A1)).send(body(4)).expect(202);
    expect(a.body.batch_id).not.toBe(b.body.batch_id);
    // … its repeat from A's other key returns A's batch …
    const again = await request(server()).post(BATCH).set(as(A2)).send(body(4)).expect(202);
    expect(again.body.batch_id).toBe(a.body.batch_id);
    // … and a conflict inside A reveals neither batch id.
    const conflict = await request(server()).post(BATCH).set(as(A1)).send(body(2)).expect(409);
    expect(JSON.stringify(conflict.body)).not.toContain(a.body.batch_id);
    expect(JSON.stringify(conflict.body)).not.toContain(b.body.batch_id);

    const single = await request(server())
      .post(SINGLE)
      .set(as(A1))
      .set('Idempotency-Key', 'single-shared')
      .send(markedComparisons(1)[0])
      .expect(202);
    const other = await request(server())
      .post(SINGLE)
      .set(as(B))
      .set('Idempotency-Key', 'single-shared')
      .send(markedComparisons(2)[1])
      .expect(202);
    expect(other.body.queue_id).not.toBe(single.body.queue_id);
    await request(server()).get(`${SINGLE}/${single.body.queue_id}`).set(as(B)).expect(404);
    await request(server()).get(`${SINGLE}/${single.body.queue_id}`).set(as(A2)).expect(200);
  });

  it('refuses a callback topic that does not exist on the broker (never creating it) until it is created', async () => {
    const body = { callback_topic: lateTopic, comparisons: markedComparisons(2) };
    const missing = await request(server()).post(BATCH).set(as(A1)).send(body).expect(400);
    expect(missing.body.error).toMatchObject({ field: 'callback_topic' });
    expect(missing.body.error.message).toMatch(/does not exist/);
    // Another tenant is refused before existence is even asked.
    const foreign = await request(server()).post(BATCH).set(as(B)).send(body).expect(400);
    expect(foreign.body.error.message).toMatch(/not allowed/);

    const admin = new Kafka({ brokers: parseBrokers(KAFKA_BROKERS), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(lateTopic);
    await admin.disconnect();

    await ensureTopics(parseBrokers(KAFKA_BROKERS), [lateTopic], { partitions: 1 });
    const accepted = await waitFor(
      async () => (await request(server()).post(BATCH).set(as(A1)).send(body)).status,
      (status) => status === 202,
      { timeoutMs: 15_000, intervalMs: 500, what: 'the new topic to be accepted' },
    );
    expect(accepted).toBe(202);
    await admin.connect();
    await admin.deleteTopics({ topics: [lateTopic] }).catch(() => undefined);
    await admin.disconnect();
  });
});
