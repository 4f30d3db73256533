import { completedEvent, resultEvent } from '#batch-store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { BatchRecord, StoredResult } from '#batch-store';
import { AppMetrics, ensureTopics, KafkaEventPublisher, parseBrokers, type SerializedEvent } from '#infra';
import {
  BatchOutboxDrainer,
  type DrainResult,
} from '../../../apps/batch-worker/src/outbox/batch-outbox-drainer.js';
import { BatchFinisher } from '../../../apps/batch-worker/src/pipeline/batch-finisher.js';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { KAFKA_BROKERS, REDIS_URL } from './support/store-harness.js';
import { TopicReader } from './support/topic-reader.js';
import { clearPrefix, startWorker, type RunningWorker } from './support/worker-harness.js';

const brokers = parseBrokers(KAFKA_BROKERS);

/** A judge's result as the worker stores it: a 500-character justification (the contract's cap) + metadata. */
function storedResult(record: BatchRecord, index: number, metadataPad = 0): StoredResult {
  const now = new Date().toISOString();
  return {
    index,
    comparison_id: `c-${index}`,
    result: {
      request_id: `c-${index}`,
      correlation_id: record.correlation_id,
      batch_id: record.batch_id,
      comparison_id: `c-${index}`,
      winner: index % 2 === 0 ? 'Essay A' : 'Essay B',
      justification: `Essay ${index % 2 === 0 ? 'A' : 'B'} sustains its argument. `.repeat(20).slice(0, 500),
      confidence: 4,
      provider: 'mock',
      model: 'mock-judge-1',
      response_time_ms: 900,
      token_usage: { prompt_tokens: 2400, completion_tokens: 180, total_tokens: 2580 },
      cost_estimate: 0.001,
      requested_at: now,
      completed_at: now,
      request_metadata: {
        assessment_id: 'asm-outbox',
        pair_index: index,
        essay_a_id: `essay-${index}`,
        essay_b_id: `essay-${index + 1}`,
        ...(metadataPad > 0 ? { attachment: 'm'.repeat(metadataPad) } : {}),
      },
    },
  };
}

/**
 * A finished batch whose result and completion events wait in the outbox, written by the same repository calls
 * the step machine makes. `bigAt`: that comparison echoes ~2 MB of client metadata, above a stock broker's
 * `message.max.bytes` (1 MiB) on its own.
 */
async function finishedBatch(
  worker: RunningWorker,
  topic: string,
  count: number,
  bigAt?: number,
): Promise<BatchRecord> {
  const requests = makeRequests(count);
  const created = (await worker.repo.create(makeBatch(requests, { callback_topic: topic }), requests)).batch;
  const now = new Date();
  const results = requests.map((_, i) => storedResult(created, i, i === bigAt ? 2_000_000 : 0));
  await worker.repo.storeResults(
    created.batch_id,
    results,
    results.map((r) => resultEvent(created, r, now)),
  );
  const record = (await worker.repo.get(created.batch_id))!;
  await worker.repo.transition(record.batch_id, ['queued'], 'completed', {}, [
    completedEvent(record, 'completed', now),
  ]);
  return record;
}

async function drained(worker: RunningWorker, batchId: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `outbox of ${batchId} empty`,
    async () => ((await worker.outbox.size(batchId)) === 0 ? true : undefined),
    timeoutMs,
    100,
  );
}

describe('outbox: an undeliverable event never holds up other batches', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // The limit is set ABOVE what the broker accepts (the original stall: 1,000 events in one produce refused with
    // MESSAGE_TOO_LARGE forever), and one drain slot only: the bad batches must not keep it.
    worker = await startWorker(
      { OUTBOX_MAX_REQUEST_BYTES: '8000000', OUTBOX_CONCURRENCY: '1', OUTBOX_BATCH_SIZE: '1000' },
      {},
      {},
      { quiet: true },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  it('dead-letters a too-large event and a missing topic with their reasons; every other event arrives', async () => {
    const goodTopic = `test.outbox.good.${randomUUID()}.v1`;
    const mixedTopic = `test.outbox.mixed.${randomUUID()}.v1`;
    await ensureTopics(brokers, [goodTopic, mixedTopic]);

    const mixed = await finishedBatch(worker, mixedTopic, 1_500, 700);
    const missing = await finishedBatch(worker, '..', 5);
    const good = await finishedBatch(worker, goodTopic, 1_500);
    await Promise.all([drained(worker, mixed.batch_id), drained(worker, missing.batch_id)]);
    await drained(worker, good.batch_id);

    const goodReader = await TopicReader.start(brokers, goodTopic);
    const mixedReader = await TopicReader.start(brokers, mixedTopic);
    try {
      const goodIds = new Set(
        (await goodReader.waitForDistinct(1_501, 60_000)).map((m) => m.envelope.event_id),
      );
      expect(goodIds.size).toBe(1_501);
      const mixedMessages = await mixedReader.waitForDistinct(1_500, 60_000);
      const mixedPairs = mixedMessages
        .map((m) => m.envelope.data.comparison_id as string | undefined)
        .filter((id): id is string => id !== undefined);
      // Everything but c-700, in order (at-least-once: take first occurrences).
      const firstSeen = [...new Set(mixedPairs)];
      expect(firstSeen).toEqual(
        makeRequests(1_500)
          .map((r) => r.comparison_id)
          .filter((id) => id !== 'c-700'),
      );
    } finally {
      await goodReader.stop();
      await mixedReader.stop();
    }

    const mixedDead = await worker.outbox.deadLetters(mixed.batch_id);
    expect(mixedDead).toHaveLength(1);
    expect(mixedDead[0]).toMatchObject({ reason: 'too_large', message: { topic: mixedTopic } });
    expect(mixedDead[0].message.envelope.data).toMatchObject({ comparison_id: 'c-700' });
    expect(mixedDead[0].detail).toContain('MESSAGE_TOO_LARGE');

    const missingDead = await worker.outbox.deadLetters(missing.batch_id);
    expect(missingDead).toHaveLength(6);
    expect(new Set(missingDead.map((d) => d.reason))).toEqual(new Set(['topic_not_found']));
    expect(await worker.outbox.deadLetters(good.batch_id)).toEqual([]);

    const metrics = (await worker.app.get(AppMetrics).render()).body;
    expect(metrics).toMatch(/outbox_events_dead_lettered_total\{[^}]*reason="too_large"[^}]*\} 1\b/);
    expect(metrics).toMatch(/outbox_events_dead_lettered_total\{[^}]*reason="topic_not_found"[^}]*\} 6\b/);
  });
});

/** Kafka that answers the first produce only after `delayMs` (a slow broker or a long GC pause). */
class DelayedFirstProduce extends KafkaEventPublisher {
  produces = 0;
  constructor(private readonly delayMs: number) {
    super({ brokers, clientId: 'delayed-outbox-test' });
  }
  override async publishSerialized(topic: string, messages: SerializedEvent[]): Promise<void> {
    this.produces += 1;
    if (this.produces === 1) await sleep(this.delayMs);
    await super.publishSerialized(topic, messages);
  }
}

describe('outbox with two workers and a Kafka produce delayed past the lock', () => {
  const LOCK_MS = 600;
  const prefix = `w-${randomUUID().slice(0, 8)}`;
  const workerEnv = {
    REDIS_KEY_PREFIX: prefix,
    OUTBOX_LOCK_MS: String(LOCK_MS),
    OUTBOX_BATCH_SIZE: '200',
    OUTBOX_POLL_MS: '20',
  };
  let slow: RunningWorker | undefined;
  let fast: RunningWorker | undefined;
  let delayed: DelayedFirstProduce;
  const redis = new Redis(REDIS_URL);

  afterEach(async () => {
    await slow?.stop();
    await fast?.stop();
    if (slow) await clearPrefix(slow);
    slow = fast = undefined;
  });
  afterAll(async () => {
    await redis.quit();
  });

  async function startPair(): Promise<void> {
    delayed = new DelayedFirstProduce(LOCK_MS * 8);
    slow = await startWorker(
      workerEnv,
      {},
      {},
      {
        quiet: true,
        override: (b) => b.overrideProvider(KafkaEventPublisher).useValue(delayed),
      },
    );
  }

  async function expectEveryEventOnce(batch: BatchRecord, topic: string, events: number): Promise<void> {
    await drained(slow!, batch.batch_id);
    const reader = await TopicReader.start(brokers, topic);
    try {
      const messages = await reader.waitForDistinct(events, 60_000);
      await sleep(500); // a late duplicate would show up here; duplicates are allowed, losses are not
      const ids = new Set(reader.messages.map((m) => m.envelope.event_id));
      expect(ids.size).toBe(events);
      expect(messages.length).toBeGreaterThanOrEqual(events);
    } finally {
      await reader.stop();
    }
    expect(await slow!.outbox.deadLetters(batch.batch_id)).toEqual([]);
  }

  it('keeps the lock renewed through the slow produce: the other worker waits, nothing is lost', async () => {
    const topic = `test.outbox.two.${randomUUID()}.v1`;
    await ensureTopics(brokers, [topic]);
    await startPair();
    const batch = await finishedBatch(slow!, topic, 1_000);
    await waitFor('slow worker inside its first produce', () => (delayed.produces > 0 ? true : undefined));
    fast = await startWorker(workerEnv, {}, {}, { quiet: true });
    await sleep(LOCK_MS * 2); // past the TTL: only renewal keeps the other worker out
    expect(await slow!.outbox.size(batch.batch_id)).toBe(1_001);
    await expectEveryEventOnce(batch, topic, 1_001);
  });

  it('refuses the stale ack of a drain that lost its lock mid-produce: no event is trimmed unsent', async () => {
    const topic = `test.outbox.fenced.${randomUUID()}.v1`;
    await ensureTopics(brokers, [topic]);
    await startPair();
    const batch = await finishedBatch(slow!, topic, 1_000);
    await waitFor('slow worker inside its first produce', () => (delayed.produces > 0 ? true : undefined));
    fast = await startWorker(workerEnv, {}, {}, { quiet: true });
    // The lock lapses while the slow worker waits on Kafka (as after a process stall longer than the TTL):
    // the other worker takes over, publishes and acks; the slow worker's ack must then remove nothing.
    await redis.del(`${prefix}:outbox:{${batch.batch_id}}:lock`);
    await expectEveryEventOnce(batch, topic, 1_001);
  });
});

/** The worker's own Redis commands (not those run inside its scripts) that name `batchId` or the pending set. */
class OutboxCommandTrace {
  readonly commands: string[][] = [];
  private markerSeen?: () => void;

  private constructor(
    private readonly monitor: Redis,
    private readonly probe: Redis,
    private readonly probeAddr: string,
  ) {}

  static async start(prefix: string): Promise<OutboxCommandTrace> {
    const probe = new Redis(REDIS_URL);
    const info = (await probe.client('INFO')) as string;
    const addr = /addr=(\S+)/.exec(info)![1];
    // monitor() opens a connection of its own in monitor mode; the probe stays an ordinary client.
    const trace = new OutboxCommandTrace(await probe.monitor(), probe, addr);
    trace.monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === trace.probeAddr) {
        if (args[0].toLowerCase() === 'echo' && args[1] === `${prefix}:marker`) trace.markerSeen?.();
        return;
      }
      if (source === 'lua' || !args.some((a) => a.startsWith(`${prefix}:`))) return;
      trace.commands.push(args);
    });
    return trace;
  }

  named(batchId: string, pendingKey: string): string[] {
    return this.commands
      .filter((args) => args.some((a) => a.includes(batchId)) || args[1] === pendingKey)
      .map((args) => args[0].toLowerCase());
  }

  /** Resolves once every command Redis ran before this call has been seen (MONITOR reports in execution order). */
  async settled(prefix: string): Promise<void> {
    const seen = new Promise<void>((resolve) => (this.markerSeen = resolve));
    await this.probe.echo(`${prefix}:marker`);
    await seen;
  }

  async stop(): Promise<void> {
    this.monitor.disconnect();
    await this.probe.quit();
  }
}

describe('outbox round trips of one stored result', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // No periodic listing or metrics sampling during the test: only the drain's own commands are traced.
    worker = await startWorker(
      { OUTBOX_POLL_MS: '60000', METRICS_SAMPLE_MS: '60000' },
      {},
      {},
      { quiet: true },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  /** Stores one result through the worker's finisher and resolves with the drain that published it. */
  async function storeAndDrain(record: BatchRecord, index: number): Promise<DrainResult> {
    const drainer = worker.app.get(BatchOutboxDrainer);
    const original = drainer.drain.bind(drainer);
    const drained = new Promise<DrainResult>((resolve) => {
      drainer.drain = async (...args) => {
        const result = await original(...args);
        if (args[0] === record.batch_id && result.published > 0) resolve(result);
        return result;
      };
    });
    try {
      await worker.app.get(BatchFinisher).store(record, [storedResult(record, index)]);
      return await drained;
    } finally {
      drainer.drain = original;
    }
  }

  it('drains a result named by its finisher in three round trips: no listing, lock with peek, ack with release', async () => {
    const topic = `test.outbox.trips.${randomUUID()}.v1`;
    await ensureTopics(brokers, [topic]);
    const requests = makeRequests(2);
    const record = (await worker.repo.create(makeBatch(requests, { callback_topic: topic }), requests)).batch;
    // The first drain loads the scripts (a first EVALSHA may fall back to EVAL); the second is measured.
    await storeAndDrain(record, 0);
    const prefix = worker.env.REDIS_KEY_PREFIX;
    const trace = await OutboxCommandTrace.start(prefix);
    try {
      expect(await storeAndDrain(record, 1)).toMatchObject({ published: 1, emptied: true });
      await trace.settled(prefix);
      // The store (its script and the pending mark), then the drain: lock + peek, produce, ack + lock release,
      // and the unmark (SREM, then LLEN to catch an append that raced it) in one write.
      expect(trace.named(record.batch_id, worker.repo.keys.outboxPending())).toEqual([
        'evalsha',
        'sadd',
        'evalsha',
        'evalsha',
        'srem',
        'llen',
      ]);
    } finally {
      await trace.stop();
    }
    expect(await worker.outbox.size(record.batch_id)).toBe(0);
    expect(await worker.outbox.pendingBatchIds()).not.toContain(record.batch_id);
    expect(await worker.outbox.tryLock(record.batch_id, 1000)).not.toBeNull();
  });
});
