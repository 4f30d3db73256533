import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '#infra';
import type { Redis } from 'ioredis';
import { BatchKeys } from './batch-keys.js';
import { OUTBOX_ACK_SCRIPT, RELEASE_LOCK_SCRIPT } from './batch-scripts.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';
import type { OutboxMessage } from './batch.types.js';

/**
 * Events waiting for Kafka, one ordered list per batch. Messages are appended by BatchRepository's scripts (in
 * the same atomic write as the change that caused them) and removed here only after Kafka acknowledged them:
 * a crash between publish and ack republishes them (at-least-once; event ids are stable).
 */
@Injectable()
export class OutboxRepository {
  private readonly keys: BatchKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
  }

  /** Batches that have unpublished events. */
  async pendingBatchIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.outboxPending());
  }

  /** The oldest `max` unpublished events of a batch, in order. */
  async peek(batchId: string, max: number): Promise<OutboxMessage[]> {
    const raw = await this.redis.lrange(this.keys.outbox(batchId), 0, max - 1);
    return raw.map((json) => JSON.parse(json) as OutboxMessage);
  }

  /** Removes the first `count` events (they were published). Returns how many remain. */
  async ack(batchId: string, count: number): Promise<number> {
    return (await OUTBOX_ACK_SCRIPT.run(
      this.redis,
      [this.keys.outbox(batchId), this.keys.outboxPending()],
      [count, batchId],
    )) as number;
  }

  async size(batchId: string): Promise<number> {
    return this.redis.llen(this.keys.outbox(batchId));
  }

  /** Unpublished events over all batches. */
  async totalSize(): Promise<number> {
    const ids = await this.pendingBatchIds();
    if (ids.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.llen(this.keys.outbox(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }

  /** One publisher per batch at a time keeps the batch's events in order across worker processes. */
  async tryLock(batchId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.outboxLock(batchId), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(batchId: string, owner: string): Promise<void> {
    await RELEASE_LOCK_SCRIPT.run(this.redis, [this.keys.outboxLock(batchId)], [owner]);
  }
}
