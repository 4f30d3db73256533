import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { EVENT_TYPES, QUEUES, type ComparisonRequest } from '#contracts';
import {
  BatchQueues,
  bullConnectionOptions,
  bullPrefix,
  IndividualLane,
  type BatchJobData,
  type BatchRecord,
} from '#batch-store';
import { ensureTopics, parseBrokers } from '#infra';
import { loadProvidersConfig, resolveLlmConfig } from '#llm-providers';
import { AnthropicFakeServer } from '#llm-providers/testing';
import { freePort } from '../../support/throwaway-services.js';
import { makeBatch, makeRequests, waitFor } from '../worker/support/batch-factory.js';
import { KAFKA_BROKERS, REDIS_URL, storeHarness } from '../worker/support/store-harness.js';
import { TopicReader } from '../worker/support/topic-reader.js';
import { WorkerProcess } from './support/worker-process.js';

const COMPARISONS = 40;

// The worker runs as a real process (the built app) and is SIGKILLed between submit and collect. The provider
// is the Anthropic fake in this process, holding its batches until released, and counting the batches created.
describe('drill: the worker is killed between submit and collect', () => {
  const store = storeHarness();
  const fake = new AnthropicFakeServer();
  const workers: WorkerProcess[] = [];
  let queues: BatchQueues;
  let bullQueues: Array<Queue<BatchJobData>>;
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    await fake.start();
    fake.holdBatches();
    const prefix = store.options.keyPrefix!;
    const connection = bullConnectionOptions(REDIS_URL);
    bullQueues = [QUEUES.batches, QUEUES.comparisons].map(
      (name) => new Queue<BatchJobData>(name, { connection, prefix: bullPrefix(prefix) }),
    );
    queues = new BatchQueues(bullQueues[0], bullQueues[1], new IndividualLane(store.redis, store.options));
    workerEnv = {
      REDIS_URL,
      KAFKA_BROKERS,
      REDIS_KEY_PREFIX: prefix,
      WORKER_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      BATCH_POLL_INTERVAL_MS: '100',
      BATCH_POLL_MAX_INTERVAL_MS: '300',
      JOB_LOCK_DURATION_MS: '3000',
      OUTBOX_POLL_MS: '20',
      OUTBOX_RETRY_MS: '200',
      METRICS_SAMPLE_MS: '1000',
      LLM_DEFAULT_PROVIDER: 'mock',
      LLM_RETRY_BASE_DELAY_MS: '10',
      LLM_RETRY_MAX_DELAY_MS: '50',
      ANTHROPIC_API_KEY: fake.apiKey,
      ANTHROPIC_BASE_URL: fake.url,
    };
  });

  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.stop()));
    await Promise.allSettled(bullQueues.map((q) => q.close()));
    await store.cleanup();
    await fake.stop();
  });

  function startWorker(): WorkerProcess {
    const worker = WorkerProcess.start(workerEnv);
    workers.push(worker);
    return worker;
  }

  async function batchWhere(
    batchId: string,
    what: string,
    ok: (record: BatchRecord) => boolean,
    worker: WorkerProcess,
    timeoutMs = 30_000,
  ): Promise<BatchRecord> {
    try {
      return await waitFor(
        what,
        async () => {
          const record = await store.repo.get(batchId);
          return record && ok(record) ? record : undefined;
        },
        timeoutMs,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker output:\n${worker.logs}`, { cause: err });
    }
  }

  it('submits exactly one provider batch and delivers every result after a restart', async () => {
    const requests: ComparisonRequest[] = makeRequests(COMPARISONS, 'crash');
    const topic = `test.drill.crash.${randomUUID()}.v1`;
    const config = resolveLlmConfig(
      { provider_override: 'anthropic' },
      loadProvidersConfig({ ANTHROPIC_API_KEY: fake.apiKey }),
    );
    await ensureTopics(parseBrokers(KAFKA_BROKERS), [topic]);
    const record = makeBatch(requests, { callback_topic: topic, config });
    await store.repo.create(record, requests);
    await queues.enqueueBatch(record.batch_id, 5);

    const first = startWorker();
    const submitted = await batchWhere(
      record.batch_id,
      'provider ref persisted',
      (r) => r.status !== 'queued' && (r.provider_ref?.parts.length ?? 0) === r.provider_ref?.part_count,
      first,
    );
    expect(['submitted', 'in_progress']).toContain(submitted.status);
    await first.kill();
    expect(first.alive).toBe(false);
    expect(fake.createdBatchCount()).toBe(1);

    fake.releaseBatches();
    const second = startWorker();
    const done = await batchWhere(
      record.batch_id,
      'batch completed',
      (r) => r.status === 'completed',
      second,
    );

    expect(fake.createdBatchCount()).toBe(1);
    expect(done.provider_ref?.parts.map((p) => p.provider_batch_id)).toEqual(
      submitted.provider_ref?.parts.map((p) => p.provider_batch_id),
    );
    expect(done.counts).toEqual({ succeeded: COMPARISONS, failed: 0, pending: 0 });
    const results = await store.repo.getResults(record.batch_id, 0, COMPARISONS);
    expect(results.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    expect(results.every((r) => r.result.provider === 'anthropic' && r.result.winner)).toBe(true);

    const reader = await TopicReader.start(parseBrokers(KAFKA_BROKERS), topic);
    try {
      const messages = await reader.waitForDistinct(COMPARISONS + 2);
      const seen = new Set<string>();
      const events = messages.filter((m) => !seen.has(m.envelope.event_id) && seen.add(m.envelope.event_id));
      expect(events[0].envelope.event_type).toBe(EVENT_TYPES.batchRequestStarted);
      expect(events[events.length - 1].envelope.event_type).toBe(EVENT_TYPES.batchCompleted);
      const resultEvents = events.filter((m) => m.envelope.event_type === EVENT_TYPES.comparisonResult);
      // Published as collected (the provider's order): every comparison once.
      expect(resultEvents.map((m) => String(m.envelope.data.comparison_id)).sort()).toEqual(
        requests.map((r) => r.comparison_id).sort(),
      );
      expect(resultEvents.every((m) => m.key === record.batch_id)).toBe(true);
    } finally {
      await reader.stop();
    }
  });
});
