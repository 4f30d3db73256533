import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Cluster } from 'ioredis';
import request from 'supertest';
import { AssessmentRepository } from '#assessment-store';
import { BatchKeys } from '#batch-store';
import { EVENT_TYPES } from '#contracts';
import { ensureTopics, keySlot, parseBrokers, parseClusterNodes } from '#infra';
import {
  auth,
  markedComparisons,
  startApi,
  TEST_PROVIDER_ENV,
  TEST_TENANT,
} from '../api/support/api-harness.js';
import { waitFor } from '../worker/support/batch-factory.js';
import { KAFKA_BROKERS } from '../worker/support/store-harness.js';
import { TopicReader } from '../worker/support/topic-reader.js';
import { startWorker, type RunningWorker } from '../worker/support/worker-harness.js';

/**
 * Issue 8 point 5: the API and the batch worker run on a real 3-master Redis Cluster (Debian's redis-server in
 * cluster mode, started by `scripts/services.sh cluster-up`, idempotent). A cluster that cannot be started fails
 * this test: it never skips.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PORTS = (process.env.REDIS_CLUSTER_PORTS ?? '7101 7102 7103').split(/\s+/).filter(Boolean);
const NODES = PORTS.map((port) => `127.0.0.1:${port}`).join(',');
const CLUSTER_ENV = { REDIS_URL: `redis://127.0.0.1:${PORTS[0]}`, REDIS_CLUSTER_NODES: NODES };
const BATCH = '/api/v1/comparison/batch';
const brokers = parseBrokers(KAFKA_BROKERS);

describe('a batch end to end on a 3-master Redis Cluster', () => {
  let cluster: Cluster;
  let worker: RunningWorker;
  let api: NestExpressApplication;
  const topic = `test.cluster.${randomUUID()}.v1`;

  beforeAll(async () => {
    execFileSync('bash', [`${ROOT}/scripts/services.sh`, 'cluster-up'], {
      stdio: 'inherit',
      env: process.env,
    });
    cluster = new Cluster(parseClusterNodes(NODES));
    await ensureTopics(brokers, [topic]);
    worker = await startWorker(CLUSTER_ENV, TEST_PROVIDER_ENV);
    api = await startApi(worker.env.REDIS_KEY_PREFIX, {
      ...CLUSTER_ENV,
      TENANT_CALLBACK_TOPICS: JSON.stringify({ [TEST_TENANT]: [topic] }),
      // The safety-net re-read runs only every 60 s: a held request answered sooner was woken by the terminal
      // transition's PUBLISH, which the cluster forwards to the node the API subscribed on.
      PREFER_WAIT_POLL_MS: '60000',
    });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await worker?.stop();
    if (cluster && worker) {
      // KEYS answers for one node only: clear the test's prefix on every master.
      for (const node of cluster.nodes('master')) {
        const keys = await node.keys(`${worker.env.REDIS_KEY_PREFIX}:*`);
        for (const key of keys) await node.del(key);
      }
    }
    await cluster?.quit();
  });

  it('is a cluster of 3 masters sharing all 16384 slots', async () => {
    const info = String(await cluster.cluster('INFO'));
    expect(info).toMatch(/cluster_state:ok/);
    expect(info).toMatch(/cluster_slots_assigned:16384/);
    expect(cluster.nodes('master')).toHaveLength(3);
  });

  it('accepts a batch, runs it to completed and publishes started, every result and completed on Kafka', async () => {
    const comparisons = markedComparisons(30, `asmt-cluster-${randomUUID().slice(0, 8)}`);
    const body = { comparisons, callback_topic: topic, correlation_id: `cluster-${randomUUID()}` };
    const idempotencyKey = `cluster-${randomUUID()}`;
    const accepted = await request(api.getHttpServer())
      .post(BATCH)
      .set(auth)
      .set('Idempotency-Key', idempotencyKey)
      .send(body)
      .expect(202);
    const batchId = accepted.body.batch_id as string;
    // A repeat is answered from the idempotency claim (a key of another slot than the batch's).
    const repeat = await request(api.getHttpServer())
      .post(BATCH)
      .set(auth)
      .set('Idempotency-Key', idempotencyKey)
      .send(body)
      .expect(202);
    expect(repeat.body.batch_id).toBe(batchId);

    const status = await waitFor('the batch to complete', async () => {
      const res = await request(api.getHttpServer()).get(accepted.body.status_url).set(auth).expect(200);
      return res.body.status === 'completed' ? (res.body as Record<string, unknown>) : undefined;
    });
    expect(status).toMatchObject({ counts: { total: 30, succeeded: 30, failed: 0, pending: 0 } });
    const page = await request(api.getHttpServer())
      .get(`${accepted.body.status_url}/results?offset=0&limit=100`)
      .set(auth)
      .expect(200);
    const winners = (page.body.items as Array<{ winner: string }>).map((item) => item.winner);
    expect(winners).toEqual(comparisons.map((_, i) => (i % 2 === 0 ? 'Essay A' : 'Essay B')));

    const reader = await TopicReader.start(brokers, topic);
    try {
      const messages = await reader.waitForDistinct(32, 60_000);
      const distinct = [...new Map(messages.map((m) => [m.envelope.event_id, m])).values()];
      const types = distinct.map((m) => m.envelope.event_type);
      expect(types[0]).toBe(EVENT_TYPES.batchRequestStarted);
      expect(types.filter((t) => t === EVENT_TYPES.comparisonResult)).toHaveLength(30);
      expect(types[types.length - 1]).toBe(EVENT_TYPES.batchCompleted);
      expect(new Set(distinct.map((m) => m.key))).toEqual(new Set([batchId]));
    } finally {
      await reader.stop();
    }

    // The batch lives in the cluster under one slot, its global index entries were cleaned up after it ended.
    const keys = new BatchKeys(worker.env.REDIS_KEY_PREFIX);
    expect(await cluster.exists(keys.record(batchId))).toBe(1);
    expect(keySlot(keys.results(batchId))).toBe(keySlot(keys.record(batchId)));
    await waitFor('the outbox to drain', async () =>
      (await cluster.sismember(keys.outboxPending(), batchId)) === 0 ? true : undefined,
    );
    expect(await cluster.zscore(keys.active(), batchId)).toBeNull();
    expect(await cluster.ttl(keys.idempotency(`${TEST_TENANT}:batch:${idempotencyKey}`))).toBeGreaterThan(0);
  }, 120_000);

  it('wakes a held Prefer: wait request through cluster pub/sub', async () => {
    const [comparison] = markedComparisons(1, 'asmt-cluster-wait');
    // The id is fresh each run, so the Mock's seeded draw differs each run: a quality gap this wide makes
    // P(A wins) exactly 1 in floating point, where 0.9 against 0.1 would still lose about once in 600 runs.
    const res = await request(api.getHttpServer())
      .post('/api/v1/comparison')
      .set(auth)
      .set('Prefer', 'wait=20')
      .send({
        ...comparison,
        comparison_id: `wait-${randomUUID()}`,
        essay_a: 'Essay A. [[quality:100]]',
        essay_b: 'Essay B. [[quality:0]]',
      })
      .expect(200);
    expect(res.body.result.winner).toBe('Essay A');
  }, 60_000);

  it('keeps an assessment (record, results, indexes) on the cluster', async () => {
    const repo = new AssessmentRepository(cluster as never);
    const id = `cluster-${randomUUID()}`;
    const record = {
      assessment_id: id,
      version: 1,
      status: 'active',
      deadline_at: Date.now() + 60_000,
      batches: [],
    } as never;
    const { created } = await repo.create(record, [{ essay_id: 'e1', text: 'one' }], []);
    expect(created).toBe(true);
    expect(await repo.unfinished()).toContain(id);
    const stored = { pair_index: 0 } as never;
    expect(await repo.recordResult(id, 'att', 'ev-1', stored)).toBe('stored');
    expect(await repo.recordResult(id, 'att', 'ev-1', stored)).toBe('duplicate_event');
    await repo.requestCancel(id, new Date(), 60);
    await repo.retire({ ...(record as object), assessment_id: id, batches: [] } as never, 60);
    expect(await repo.unfinished()).not.toContain(id);
    expect(await repo.pendingCancels()).not.toContainEqual(expect.objectContaining({ assessment_id: id }));
  });
});
