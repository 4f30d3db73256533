import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, stableEventId } from '#contracts';
import { AppMetrics, ensureTopics, parseBrokers } from '#infra';
import { ProviderCallCounter } from '#llm-providers';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { KAFKA_BROKERS } from './support/store-harness.js';
import { TopicReader } from './support/topic-reader.js';
import { clearPrefix, startWorker, type RunningWorker } from './support/worker-harness.js';
import { IndividualLaneConsumer } from '../../../apps/batch-worker/src/queue/individual-lane-consumer.js';

const brokers = parseBrokers(KAFKA_BROKERS);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function runToTerminal(worker: RunningWorker, batchId: string, timeoutMs = 30_000) {
  return waitFor(
    `batch ${batchId} terminal`,
    async () => {
      const record = await worker.repo.get(batchId);
      return record && ['completed', 'failed', 'canceled', 'expired'].includes(record.status)
        ? record
        : undefined;
    },
    timeoutMs,
  );
}

async function outboxDrained(worker: RunningWorker, batchId: string): Promise<void> {
  await waitFor('outbox drained', async () => ((await worker.outbox.size(batchId)) === 0 ? true : undefined));
}

describe('batch pipeline through the Mock provider (batch API)', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker();
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  it('stores every result in input order and publishes started, N results (each once) and completed', async () => {
    const requests = makeRequests(300);
    const topic = `test.worker.${randomUUID()}.v1`;
    // Callback topics exist before a batch names them: the worker never creates one.
    await ensureTopics(brokers, [topic]);
    const record = makeBatch(requests, { callback_topic: topic });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id, 5);

    const done = await runToTerminal(worker, record.batch_id);
    expect(done.status).toBe('completed');
    expect(done.mode).toBe('batch');
    expect(done.provider_ref?.parts.length).toBeGreaterThan(0);
    expect(done.counts).toEqual({ succeeded: 300, failed: 0, pending: 0 });
    const results = await worker.repo.getResults(record.batch_id, 0, 1000);
    expect(results.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    expect(results[42].result.request_metadata).toEqual(requests[42].metadata);
    expect(results.every((r) => r.result.winner && !r.result.error_detail)).toBe(true);

    // A separate consumer reads everything back.
    await outboxDrained(worker, record.batch_id);
    const reader = await TopicReader.start(brokers, topic);
    try {
      const messages = await reader.waitForDistinct(302);
      expect(messages).toHaveLength(302);
      expect(new Set(messages.map((m) => m.key))).toEqual(new Set([record.batch_id]));
      expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
      const types = messages.map((m) => m.envelope.event_type);
      expect(types[0]).toBe(EVENT_TYPES.batchRequestStarted);
      expect(types[301]).toBe(EVENT_TYPES.batchCompleted);
      const resultEvents = messages.slice(1, 301);
      expect(resultEvents.every((m) => m.envelope.event_type === EVENT_TYPES.comparisonResult)).toBe(true);
      // Results are published as they are collected (the provider's order, part after part), never buffered
      // to re-sort a whole batch: every comparison once, between started and completed.
      expect(resultEvents.map((m) => String(m.envelope.data.comparison_id)).sort()).toEqual(
        requests.map((r) => r.comparison_id).sort(),
      );
      for (const m of messages) {
        expect(m.envelope).toMatchObject({
          source_service: 'llm-batch-service',
          schema_version: 1,
          correlation_id: record.correlation_id,
        });
        expect(m.envelope.event_id).toMatch(UUID);
        expect(new Date(m.envelope.event_timestamp).toISOString()).toBe(m.envelope.event_timestamp);
      }
      const seventh = resultEvents.find((m) => m.envelope.data.comparison_id === 'c-7');
      expect(seventh?.envelope.event_id).toBe(
        stableEventId(record.batch_id, 'c-7', EVENT_TYPES.comparisonResult),
      );
      expect(messages[301].envelope.data).toMatchObject({
        batch_id: record.batch_id,
        assessment_id: 'asm-1',
        successful_comparisons: 300,
        failed_comparisons: 0,
        status: 'completed',
      });
      expect(messages[0].envelope.data).toMatchObject({ comparison_count: 300, provider: 'mock' });
    } finally {
      await reader.stop();
    }

    const calls = worker.app.get(ProviderCallCounter);
    expect(calls.count('mock', 'batch.create')).toBe(1);
    expect(calls.count('mock', 'comparison')).toBe(0);
    const metrics = await worker.app.get(AppMetrics).render();
    expect(metrics.body).toMatch(
      /llm_comparisons_total\{[^}]*provider="mock",mode="batch",outcome="success"[^}]*\} 300/,
    );
    expect(metrics.body).toMatch(/llm_batch_duration_seconds_count\{[^}]*status="completed"[^}]*\} 1/);
    expect(metrics.body).toMatch(/llm_provider_http_calls_total\{[^}]*operation="batch.create"/);
  });

  it('cancels a running provider batch and publishes what it has, ending with status canceled', async () => {
    const requests = makeRequests(20, 'k');
    const topic = `test.worker.${randomUUID()}.v1`;
    await ensureTopics(brokers, [topic]);
    const record = makeBatch(requests, { callback_topic: topic, config: { ...makeBatch([]).config } });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    await waitFor('submitted', async () => {
      const r = await worker.repo.get(record.batch_id);
      return r && r.provider_ref && r.status !== 'queued' ? r : undefined;
    });
    // 200 ms mock latency: the cancel lands while the provider batch is still running in most runs; either way
    // the batch must end canceled with one result per comparison.
    await worker.repo.requestCancel(record.batch_id);
    const done = await runToTerminal(worker, record.batch_id);
    expect(done.status).toBe('canceled');
    expect(done.counts.pending).toBe(0);
    const results = await worker.repo.getResults(record.batch_id, 0, 100);
    expect(results).toHaveLength(20);
    await outboxDrained(worker, record.batch_id);
    const reader = await TopicReader.start(brokers, topic);
    try {
      const messages = await reader.waitForDistinct(22);
      expect(messages[messages.length - 1].envelope.data).toMatchObject({ status: 'canceled' });
    } finally {
      await reader.stop();
    }
  });

  it('cancels a queued batch without calling the provider', async () => {
    const requests = makeRequests(3, 'q');
    const record = makeBatch(requests);
    await worker.repo.create(record, requests);
    await worker.repo.requestCancel(record.batch_id);
    const before = worker.app.get(ProviderCallCounter).count('mock');
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await runToTerminal(worker, record.batch_id);
    expect(done.status).toBe('canceled');
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.map((r) => r.result.error_detail?.error_code)).toEqual([
      'CANCELED',
      'CANCELED',
      'CANCELED',
    ]);
    expect(worker.app.get(ProviderCallCounter).count('mock')).toBe(before);
  });
});

describe('rollback path: BATCH_PROCESSING_ENABLED=false', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // One individual request at a time, so the order they start in is the queue's order.
    worker = await startWorker(
      { INDIVIDUAL_CONCURRENCY: '4', WORKER_CONCURRENCY: '1', COMPARISON_QUEUE_CONCURRENCY: '1' },
      { BATCH_PROCESSING_ENABLED: 'false' },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  it('serves the batch with individual calls, same results and events', async () => {
    const requests = makeRequests(40, 'i');
    const topic = `test.worker.${randomUUID()}.v1`;
    await ensureTopics(brokers, [topic]);
    const record = makeBatch(requests, { callback_topic: topic });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await runToTerminal(worker, record.batch_id);
    expect(done).toMatchObject({ status: 'completed', mode: 'individual' });
    expect(done.counts).toEqual({ succeeded: 40, failed: 0, pending: 0 });
    const calls = worker.app.get(ProviderCallCounter);
    expect(calls.count('mock', 'comparison')).toBe(40);
    expect(calls.count('mock', 'batch.create')).toBe(0);
    const results = await worker.repo.getResults(record.batch_id, 0, 100);
    expect(results.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));

    await outboxDrained(worker, record.batch_id);
    const reader = await TopicReader.start(brokers, topic);
    try {
      const messages = await reader.waitForDistinct(42);
      expect(messages[0].envelope.event_type).toBe(EVENT_TYPES.batchRequestStarted);
      expect(messages[41].envelope.event_type).toBe(EVENT_TYPES.batchCompleted);
      const ids = messages.slice(1, 41).map((m) => m.envelope.data.comparison_id);
      expect(new Set(ids)).toEqual(new Set(requests.map((r) => r.comparison_id)));
    } finally {
      await reader.stop();
    }
  });

  it('serves individual requests from their own queue, higher priority first', async () => {
    const ids: string[] = [];
    // Queue all before the worker can take them: pause its lane consumer, add, resume.
    const lane = worker.app.get(IndividualLaneConsumer);
    await lane.pause();
    for (const priority of [1, 9, 5]) {
      const requests = makeRequests(1, `p${priority}`);
      const record = makeBatch(requests, { kind: 'single', mode: 'individual', priority });
      await worker.repo.create(record, requests);
      await worker.queues.enqueueSingle(record.batch_id, priority);
      ids.push(record.batch_id);
    }
    lane.resume();
    const done = await Promise.all(ids.map((id) => runToTerminal(worker, id)));
    expect(done.every((d) => d.status === 'completed')).toBe(true);
    const finished = done.map((d, i) => ({ priority: [1, 9, 5][i], at: d.completed_at ?? '' }));
    finished.sort((a, b) => a.at.localeCompare(b.at));
    expect(finished[0].priority).toBe(9);
    const result = (await worker.repo.getResults(ids[0], 0, 1))[0];
    expect(result.result.request_id).toBe(ids[0]);
  });
});
