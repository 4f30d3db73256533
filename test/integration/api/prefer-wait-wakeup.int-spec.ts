import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { BatchKeys } from '#batch-store';
import { waitFor } from '../worker/support/batch-factory.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';
import { auth, markedComparisons, startApi, TEST_PROVIDER_ENV } from './support/api-harness.js';

const SINGLE = '/api/v1/comparison';
const single = (i: number, priority = 5) => ({
  ...markedComparisons(i + 1)[i],
  comparison_id: `w-${i}`,
  priority,
});

describe('individual path on the real stack: woken by the completion, not by polling', () => {
  let worker: RunningWorker;
  let api: NestExpressApplication;

  beforeAll(async () => {
    worker = await startWorker({}, TEST_PROVIDER_ENV);
    // The safety-net re-read runs only every 60 s: any 200 within the caller's 10 s came from the notification.
    // The API runs no request itself here (DIRECT_RUN_CONCURRENCY 0): the worker's path is the one under test.
    api = await startApi(worker.env.REDIS_KEY_PREFIX, {
      PREFER_WAIT_POLL_MS: '60000',
      DIRECT_RUN_CONCURRENCY: '0',
    });
  });

  afterAll(async () => {
    await api.close();
    await worker.stop();
    await clearPrefix(worker);
  });

  it('answers 200 with the result, held requests released, for several at once', async () => {
    const responses = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        request(api.getHttpServer()).post(SINGLE).set(auth).set('Prefer', 'wait=10').send(single(i)),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(responses.map((r) => r.body.result.comparison_id)).toEqual([
      'w-0',
      'w-1',
      'w-2',
      'w-3',
      'w-4',
      'w-5',
    ]);
    expect(responses.map((r) => r.body.result.winner)).toEqual([
      'Essay A',
      'Essay B',
      'Essay A',
      'Essay B',
      'Essay A',
      'Essay B',
    ]);
  });
});

describe('individual path: a lost notification does not hang the held request', () => {
  let api: NestExpressApplication;
  let redis: Redis;
  const prefix = `wake-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    // No direct run: the test itself stands in for the worker that finishes the batch.
    api = await startApi(prefix, { PREFER_WAIT_POLL_MS: '50', DIRECT_RUN_CONCURRENCY: '0' });
    redis = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await api.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('finds the finished batch by its re-read when nothing was published', async () => {
    // No worker on this prefix: the test finishes the batch itself, writing the terminal state without the
    // PUBLISH the real transition makes (a notification lost while the subscriber was reconnecting).
    const held = request(api.getHttpServer()).post(SINGLE).set(auth).set('Prefer', 'wait=10').send(single(0));
    const pending = held.then((res) => res);
    const keys = new BatchKeys(prefix);
    const batchId = await waitFor('the held batch', async () => (await redis.zrange(keys.active(), 0, 0))[0]);
    const record = JSON.parse((await redis.hget(keys.record(batchId), 'record'))!) as Record<string, unknown>;
    const result = {
      index: 0,
      comparison_id: 'w-0',
      result: { comparison_id: 'w-0', winner: 'Essay A', provider: 'mock', model: 'mock-judge-1' },
    };
    await redis
      .multi()
      .hset(keys.results(batchId), '0', JSON.stringify(result))
      .hset(keys.record(batchId), {
        status: 'completed',
        succeeded: '1',
        record: JSON.stringify({ ...record, completed_at: new Date().toISOString() }),
      })
      .exec();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ queue_id: batchId, status: 'completed', result: { winner: 'Essay A' } });
  });
});

describe('priorities on the individual queue', () => {
  let api: NestExpressApplication;
  let worker: RunningWorker | undefined;
  const prefix = `prio-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    api = await startApi(prefix);
  });

  afterAll(async () => {
    await api.close();
    if (worker) {
      await worker.stop();
      await clearPrefix(worker);
    }
  });

  it('runs a priority-10 request before the priority-0 ones queued ahead of it', async () => {
    const server = api.getHttpServer();
    const ids: Array<{ priority: number; id: string }> = [];
    for (let i = 0; i < 6; i += 1) {
      const priority = i === 5 ? 10 : 0;
      const res = await request(server).post(SINGLE).set(auth).send(single(i, priority)).expect(202);
      ids.push({ priority, id: res.body.queue_id as string });
    }
    // One job at a time, so the start order is the queue's order.
    worker = await startWorker(
      { REDIS_KEY_PREFIX: prefix, WORKER_CONCURRENCY: '1', COMPARISON_QUEUE_CONCURRENCY: '1' },
      { ...TEST_PROVIDER_ENV, MOCK_LATENCY_MS: '20' },
    );
    const finished = await waitFor('every request finished', async () => {
      const records = await Promise.all(ids.map(({ id }) => worker!.repo.get(id)));
      return records.every((r) => r?.status === 'completed') ? records : undefined;
    });
    const order = finished
      .map((r, i) => ({ priority: ids[i].priority, at: r!.completed_at! }))
      .sort((a, b) => a.at.localeCompare(b.at));
    expect(order[0].priority).toBe(10);
  });
});
