import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { waitFor } from '../worker/support/batch-factory.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';
import { ensureTopics, parseBrokers } from '#infra';
import { KAFKA_BROKERS } from '../worker/support/store-harness.js';
import {
  auth,
  markedComparisons,
  startApi,
  TEST_CALLBACK_TOPIC,
  TEST_PROVIDER_ENV,
} from './support/api-harness.js';

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';
const TERMINAL = ['completed', 'failed', 'canceled', 'expired'];

type Item = { comparison_id: string; winner?: string; request_metadata: Record<string, unknown> };

async function pollUntilTerminal(
  api: NestExpressApplication,
  statusUrl: string,
): Promise<Record<string, unknown>> {
  return waitFor(`terminal status at ${statusUrl}`, async () => {
    const res = await request(api.getHttpServer()).get(statusUrl).set(auth);
    expect(res.status).toBe(200);
    return TERMINAL.includes(res.body.status) ? (res.body as Record<string, unknown>) : undefined;
  });
}

describe('comparison API with the real store and the worker in-process', () => {
  let worker: RunningWorker;
  let api: NestExpressApplication;
  const server = () => api.getHttpServer();

  beforeAll(async () => {
    // Callback topics are never created at run time: the test creates the one it names.
    await ensureTopics(parseBrokers(KAFKA_BROKERS), [TEST_CALLBACK_TOPIC]);
    worker = await startWorker({}, TEST_PROVIDER_ENV);
    api = await startApi(worker.env.REDIS_KEY_PREFIX);
  });

  afterAll(async () => {
    await api.close();
    await worker.stop();
    await clearPrefix(worker);
  });

  it('keeps health and docs open and everything else behind the key', async () => {
    await request(server()).get('/health/live').expect(200);
    await request(server()).get('/docs-json').expect(200);
    await request(server()).get('/metrics').expect(401);
    await request(server()).get('/metrics').set(auth).expect(200);
    await request(server()).get('/api/v1/providers').expect(401);
  });

  it('answers 200 with every result in input order when the batch finishes within Prefer: wait', async () => {
    const comparisons = markedComparisons(12);
    const res = await request(server())
      .post(BATCH)
      .set(auth)
      .set('Prefer', 'wait=20')
      .send({ comparisons, correlation_id: 'int-wait-1', callback_topic: TEST_CALLBACK_TOPIC })
      .expect(200);
    expect(res.headers['preference-applied']).toBe('wait=20');
    expect(res.body).toMatchObject({ status: 'completed', comparison_count: 12 });
    const items = res.body.results as Item[];
    expect(items.map((r) => r.comparison_id)).toEqual(comparisons.map((c) => c.comparison_id));
    expect(items.map((r) => r.winner)).toEqual(
      comparisons.map((_, i) => (i % 2 === 0 ? 'Essay A' : 'Essay B')),
    );
    expect(items[3].request_metadata).toEqual({ assessment_id: 'asmt-int', pair_index: 3 });
  });

  it('answers 202, then polling reaches completed and pages return results in input order', async () => {
    const comparisons = markedComparisons(25);
    const accepted = await request(server()).post(BATCH).set(auth).send({ comparisons }).expect(202);
    expect(accepted.body).toMatchObject({ status: 'queued', comparison_count: 25 });

    const status = await pollUntilTerminal(api, accepted.body.status_url);
    expect(status).toMatchObject({
      status: 'completed',
      mode: 'batch',
      provider: 'mock',
      assessment_id: 'asmt-int',
      counts: { total: 25, succeeded: 25, failed: 0, pending: 0 },
    });
    expect((status.provider_batch_ids as string[]).length).toBeGreaterThan(0);

    const seen: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = await request(server())
        .get(`${accepted.body.status_url}/results?offset=${offset}&limit=10`)
        .set(auth)
        .expect(200);
      seen.push(...(page.body.items as Item[]).map((i) => i.comparison_id));
      offset = page.body.next_offset as number | null;
    }
    expect(seen).toEqual(comparisons.map((c) => c.comparison_id));
  });

  it('serves the individual endpoint: 202 then the result by polling, or 200 within Prefer: wait', async () => {
    const body = { ...markedComparisons(1)[0], priority: 8 };
    delete (body as Record<string, unknown>).comparison_id;
    const accepted = await request(server()).post(SINGLE).set(auth).send(body).expect(202);
    const done = await pollUntilTerminal(api, accepted.body.status_url);
    expect(done).toMatchObject({
      status: 'completed',
      priority: 8,
      result: { winner: 'Essay A', provider: 'mock' },
    });

    const waited = await request(server())
      .post(SINGLE)
      .set(auth)
      .set('Prefer', 'wait=10')
      .send(body)
      .expect(200);
    expect(waited.body).toMatchObject({ status: 'completed', result: { winner: 'Essay A' } });
    expect(waited.body.queue_id).not.toBe(accepted.body.queue_id);
  });

  it('returns the same batch for a repeated request and processes it once; another body is 409', async () => {
    const body = { comparisons: markedComparisons(5), correlation_id: 'int-idem-1' };
    const first = await request(server()).post(BATCH).set(auth).send(body).expect(202);
    const again = await request(server()).post(BATCH).set(auth).send(body);
    expect([200, 202]).toContain(again.status);
    expect(again.body.batch_id).toBe(first.body.batch_id);
    await request(server())
      .post(BATCH)
      .set(auth)
      .send({ ...body, priority: 9 })
      .expect(409);

    const done = await pollUntilTerminal(api, first.body.status_url);
    expect(done.counts).toEqual({ total: 5, succeeded: 5, failed: 0, pending: 0 });
    const afterDone = await request(server()).post(BATCH).set(auth).send(body).expect(202);
    expect(afterDone.body).toMatchObject({ batch_id: first.body.batch_id, status: 'completed' });
    expect((await worker.repo.getResults(first.body.batch_id, 0, 100)).length).toBe(5);
  });

  it('rejects a request for an unconfigured provider without storing anything', async () => {
    const before = await worker.repo.listActive();
    const res = await request(server())
      .post(BATCH)
      .set(auth)
      .send({ comparisons: markedComparisons(2), llm_config_overrides: { provider_override: 'openai' } })
      .expect(503);
    expect(res.body.error.code).toBe('PROVIDER_NOT_CONFIGURED');
    expect(await worker.repo.listActive()).toEqual(before);
  });
});

describe('cancel and priorities', () => {
  let api: NestExpressApplication;
  let worker: RunningWorker | undefined;
  let prefix: string;

  beforeAll(async () => {
    // The API alone first: work queues up until a worker starts.
    prefix = `api-${randomUUID().slice(0, 8)}`;
    api = await startApi(prefix);
  });

  afterAll(async () => {
    await api.close();
    if (worker) {
      await worker.stop();
      await clearPrefix(worker);
    }
  });

  it('processes queued individual comparisons in priority order and cancels a queued batch', async () => {
    const server = api.getHttpServer();
    const priorities = [2, 9, 5, 0, 10, 7];
    const queued: Array<{ priority: number; url: string }> = [];
    for (const priority of priorities) {
      const body = { ...markedComparisons(1)[0], comparison_id: `p-${priority}`, priority };
      const res = await request(server).post(SINGLE).set(auth).send(body).expect(202);
      queued.push({ priority, url: res.body.status_url });
    }
    const batch = await request(server)
      .post(BATCH)
      .set(auth)
      .send({ comparisons: markedComparisons(3) })
      .expect(202);
    const cancel = await request(server).post(`${batch.body.status_url}/cancel`).set(auth).expect(202);
    expect(cancel.body).toMatchObject({ status: 'queued', cancel_requested: true });

    worker = await startWorker(
      { REDIS_KEY_PREFIX: prefix, WORKER_CONCURRENCY: '1', COMPARISON_QUEUE_CONCURRENCY: '1' },
      TEST_PROVIDER_ENV,
    );
    const finished = [];
    for (const q of queued)
      finished.push({ priority: q.priority, done: await pollUntilTerminal(api, q.url) });
    const byCompletion = [...finished].sort((a, b) =>
      String(a.done.completed_at).localeCompare(String(b.done.completed_at)),
    );
    const completionTimes = byCompletion.map((f) => f.done.completed_at);
    const byPriority = [...finished].sort((a, b) => b.priority - a.priority);
    // Higher priority never finishes after lower priority (equal millisecond stamps allowed).
    for (let i = 1; i < byPriority.length; i += 1) {
      expect(String(byPriority[i - 1].done.completed_at) <= String(byPriority[i].done.completed_at)).toBe(
        true,
      );
    }
    expect(new Set(completionTimes).size).toBeGreaterThan(1);

    const canceled = await pollUntilTerminal(api, batch.body.status_url);
    expect(canceled).toMatchObject({ status: 'canceled' });
    await request(server).post(`${batch.body.status_url}/cancel`).set(auth).expect(200);
  });
});
