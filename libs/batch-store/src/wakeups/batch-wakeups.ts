import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '#infra';
import type { Redis } from 'ioredis';
import { BatchKeys } from '../batch-keys.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from '../batch-store.options.js';
import { LuaScript } from '#infra';

/** How long a webhook delivery id is remembered (providers retry for up to 24 h). */
const DELIVERY_MEMORY_SECONDS = 2 * 86_400;

/** KEYS: record. → 1 flagged, 0 no such batch (a hash is never created for an unknown id). */
const REQUEST_WAKE_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'wake', '1')
return 1
`);

/**
 * What a provider's completion notification needs from storage: which of our batches a provider batch id belongs
 * to, whether this delivery was already handled (providers deliver at least once), and a wake flag on the batch
 * that the worker reads after scheduling its next poll (so a notification arriving while the job runs is not
 * lost behind a 10-minute delay).
 */
@Injectable()
export class BatchWakeups {
  private readonly keys: BatchKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) private readonly options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
  }

  /** Remembers provider batch id → our batch id (kept as long as finished batches are). */
  async indexProviderBatches(batchId: string, provider: string, providerBatchIds: string[]): Promise<void> {
    if (providerBatchIds.length === 0) return;
    // One SET per id (auto-pipelined): the keys live in different cluster slots.
    await Promise.all(
      providerBatchIds.map((id) =>
        this.redis.set(this.keys.providerBatch(provider, id), batchId, 'EX', this.options.retentionSeconds),
      ),
    );
  }

  async findBatch(provider: string, providerBatchId: string): Promise<string | null> {
    return this.redis.get(this.keys.providerBatch(provider, providerBatchId));
  }

  /** True the first time a delivery id is seen, false for a duplicate or replay. */
  async firstDelivery(provider: string, deliveryId: string): Promise<boolean> {
    const set = await this.redis.set(
      this.keys.webhookDelivery(provider, deliveryId),
      '1',
      'EX',
      DELIVERY_MEMORY_SECONDS,
      'NX',
    );
    return set === 'OK';
  }

  /** Flags the batch for an immediate poll; false when it does not exist. */
  async requestWake(batchId: string): Promise<boolean> {
    return ((await REQUEST_WAKE_SCRIPT.run(this.redis, [this.keys.record(batchId)], [])) as number) === 1;
  }

  /** Takes the wake flag (true when it was set), so each notification causes at most one early poll. */
  async takeWake(batchId: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.record(batchId), 'wake')) === 1;
  }
}
