import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '#infra';
import { Cluster, type Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { BatchKeys } from './batch-keys.js';
import {
  OUTBOX_ACK_SCRIPT,
  OUTBOX_DEAD_LETTER_SCRIPT,
  OUTBOX_LOCK_AND_PEEK_SCRIPT,
  RELEASE_LOCK_SCRIPT,
  RENEW_LOCK_SCRIPT,
} from './batch-scripts.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';
import type { DeadLetterReason, DeadLetterRecord, OutboxMessage } from './batch.types.js';
import { outboxEntryOf, type OutboxEntry } from './outbox-entry.js';

/**
 * What an ack or dead-letter did: the outbox length left, or why it did nothing. At 0 the drain is over: the same
 * script released the lock and the pending mark was cleared, unless an append came in right after (`refilled`:
 * the mark stays, the batch is drained again).
 */
export type OutboxWriteOutcome =
  { remaining: number; refilled?: boolean } | { refused: 'lock_lost' | 'head_changed' };

/** A drain lock just taken, with the head of the outbox read in the same step. */
export interface LockedHead {
  token: string;
  entries: OutboxEntry[];
}

/**
 * Events waiting for Kafka, one ordered list per batch. Messages are appended by BatchRepository's scripts (in
 * the same atomic write as the change that caused them) and removed here only after Kafka acknowledged them:
 * a crash between publish and ack republishes them (at-least-once; event ids are stable).
 *
 * Several workers: one drains a batch at a time under a lock whose value is a fresh fencing token; the lock is
 * renewed while the drain runs, and every removal (ack, dead-letter) checks the token and the exact head entries
 * in the same script, so a drain that outlived its lock removes nothing.
 */
@Injectable()
export class OutboxRepository {
  private readonly keys: BatchKeys;
  private readonly retentionSeconds: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
    this.retentionSeconds = options.retentionSeconds;
  }

  /** Batches that have unpublished events. */
  async pendingBatchIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.outboxPending());
  }

  /** The oldest `max` unpublished events of a batch, in order. */
  async peek(batchId: string, max: number): Promise<OutboxMessage[]> {
    return (await this.peekEntries(batchId, max)).map((e) => e.message);
  }

  /** The oldest `max` unpublished entries of a batch, in order, with their stored text. */
  async peekEntries(batchId: string, max: number): Promise<OutboxEntry[]> {
    return entriesOf(await this.redis.lrange(this.keys.outbox(batchId), 0, max - 1));
  }

  /**
   * Takes the batch's drain lock (as tryLock) and reads the oldest `max` entries in the same round trip; null
   * when another drain holds the lock.
   */
  async lockAndPeek(batchId: string, ttlMs: number, max: number): Promise<LockedHead | null> {
    const token = randomUUID();
    const raw = (await OUTBOX_LOCK_AND_PEEK_SCRIPT.run(
      this.redis,
      [this.keys.outboxLock(batchId), this.keys.outbox(batchId)],
      [token, ttlMs, max],
    )) as string[] | null;
    return raw ? { token, entries: entriesOf(raw) } : null;
  }

  /**
   * Removes `published` (the head of the outbox, in order) if `token` still holds the batch's lock; one that
   * leaves the outbox empty releases the lock too (the drain is over) and clears the pending mark.
   */
  async ack(batchId: string, token: string, published: OutboxEntry[]): Promise<OutboxWriteOutcome> {
    if (published.length === 0) return { remaining: await this.size(batchId) };
    const reply = (await OUTBOX_ACK_SCRIPT.run(
      this.redis,
      [this.keys.outbox(batchId), this.keys.outboxLock(batchId)],
      [token, published.length, published[0].raw, published[published.length - 1].raw],
    )) as number;
    return this.outcomeOf(batchId, reply);
  }

  /** Moves the head entry to the batch's dead-letter list with its reason (releasing the lock like the ack). */
  async deadLetter(
    batchId: string,
    token: string,
    entry: OutboxEntry,
    reason: DeadLetterReason,
    detail: string,
  ): Promise<OutboxWriteOutcome> {
    const record: DeadLetterRecord = {
      reason,
      detail,
      dead_lettered_at: new Date().toISOString(),
      message: entry.message,
    };
    const reply = (await OUTBOX_DEAD_LETTER_SCRIPT.run(
      this.redis,
      [this.keys.outbox(batchId), this.keys.outboxLock(batchId), this.keys.deadLetter(batchId)],
      [token, entry.raw, JSON.stringify(record), this.retentionSeconds],
    )) as number;
    return this.outcomeOf(batchId, reply);
  }

  private async outcomeOf(batchId: string, reply: number): Promise<OutboxWriteOutcome> {
    if (reply === -1) return { refused: 'lock_lost' };
    if (reply === -2) return { refused: 'head_changed' };
    if (reply > 0) return { remaining: reply };
    return (await this.unmarkIfEmpty(batchId)) ? { remaining: 0 } : { remaining: 0, refilled: true };
  }

  /** The batch's undeliverable events, oldest first. */
  async deadLetters(batchId: string): Promise<DeadLetterRecord[]> {
    const raw = await this.redis.lrange(this.keys.deadLetter(batchId), 0, -1);
    return raw.map((json) => JSON.parse(json) as DeadLetterRecord);
  }

  async size(batchId: string): Promise<number> {
    return this.redis.llen(this.keys.outbox(batchId));
  }

  /**
   * Takes the batch out of the pending set once its outbox was seen empty; false when an append came in meanwhile
   * (the batch stays marked). The mark is another slot's key than the outbox, so this cannot be one script: the
   * mark is removed first and the outbox read again after, and every append marks after appending — an append
   * racing this removal is either seen by the second read (and re-marked here) or marks after it. On one Redis the
   * two commands go in one write (one connection runs them in that order); on a cluster they are on different
   * nodes, so the read waits for the removal.
   */
  async unmarkIfEmpty(batchId: string): Promise<boolean> {
    const unmark = this.redis.srem(this.keys.outboxPending(), batchId);
    if (this.redis instanceof Cluster) await unmark;
    const [, left] = await Promise.all([unmark, this.size(batchId)]);
    if (left === 0) return true;
    await this.redis.sadd(this.keys.outboxPending(), batchId);
    return false;
  }

  /** Unpublished events over all batches (one LLEN per batch: each outbox may live on another cluster node). */
  async totalSize(): Promise<number> {
    const ids = await this.pendingBatchIds();
    const sizes = await Promise.all(ids.map((id) => this.size(id)));
    return sizes.reduce((sum, n) => sum + n, 0);
  }

  /** Takes the batch's drain lock; returns the fencing token that must accompany every removal, or null. */
  async tryLock(batchId: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.keys.outboxLock(batchId), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  /** Extends the lock while the drain runs; false when it was lost (expired and maybe taken by another). */
  async renewLock(batchId: string, token: string, ttlMs: number): Promise<boolean> {
    return (await RENEW_LOCK_SCRIPT.run(this.redis, [this.keys.outboxLock(batchId)], [token, ttlMs])) === 1;
  }

  async unlock(batchId: string, token: string): Promise<void> {
    await RELEASE_LOCK_SCRIPT.run(this.redis, [this.keys.outboxLock(batchId)], [token]);
  }
}

function entriesOf(raw: string[]): OutboxEntry[] {
  return raw.map(outboxEntryOf);
}
