import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutboxRepository, type OutboxMessage } from '#batch-store';
import { KafkaEventPublisher } from '#infra';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { OutboxSignal } from './outbox-signal.js';
import { TopicGuard } from './topic-guard.js';

/** A publisher that died keeps other workers off its batches only this long. */
const LOCK_TTL_MS = 10_000;

/** Consecutive messages for the same topic, so each run is one produce request and the order is kept. */
export function runsByTopic(messages: OutboxMessage[]): Array<{ topic: string; messages: OutboxMessage[] }> {
  const runs: Array<{ topic: string; messages: OutboxMessage[] }> = [];
  for (const message of messages) {
    const last = runs[runs.length - 1];
    if (last && last.topic === message.topic) last.messages.push(message);
    else runs.push({ topic: message.topic, messages: [message] });
  }
  return runs;
}

/**
 * Drains the Redis outbox to Kafka: a batch's events in order, acknowledged (removed) only after Kafka accepted
 * them. While Kafka is down the loop retries every OUTBOX_RETRY_MS; nothing is lost, some events may be sent
 * twice (same event_id).
 */
@Injectable()
export class OutboxPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxPublisher.name);
  private readonly owner = randomUUID();
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(KafkaEventPublisher) private readonly kafka: KafkaEventPublisher,
    @Inject(TopicGuard) private readonly topics: TopicGuard,
    @Inject(OutboxSignal) private readonly signal: OutboxSignal,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.signal.notify();
    await this.loop;
  }

  /** Publishes everything pending now; returns how many events were sent. Throws when Kafka refuses. */
  async drainOnce(): Promise<number> {
    let published = 0;
    for (const batchId of await this.outbox.pendingBatchIds()) {
      if (this.stopped) break;
      published += await this.drainBatch(batchId);
    }
    return published;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.drainOnce();
        await this.signal.wait(this.env.OUTBOX_POLL_MS);
      } catch (err) {
        this.logger.warn({ msg: 'outbox publish failed; retrying', error: (err as Error).message });
        if (!this.stopped) await sleep(this.env.OUTBOX_RETRY_MS);
      }
    }
  }

  private async drainBatch(batchId: string): Promise<number> {
    if (!(await this.outbox.tryLock(batchId, this.owner, LOCK_TTL_MS))) return 0;
    let published = 0;
    try {
      for (;;) {
        const messages = await this.outbox.peek(batchId, this.env.OUTBOX_BATCH_SIZE);
        if (messages.length === 0) break;
        for (const run of runsByTopic(messages)) {
          await this.topics.ensure(run.topic);
          await this.kafka.publishBatch(run.topic, run.messages);
        }
        await this.outbox.ack(batchId, messages.length);
        published += messages.length;
        if (this.stopped) break;
      }
    } finally {
      await this.outbox.unlock(batchId, this.owner).catch(() => undefined);
    }
    return published;
  }
}
