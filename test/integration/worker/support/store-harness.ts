import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BatchRepository, OutboxRepository, type BatchStoreOptions } from '#batch-store';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

/** Repositories on a unique key prefix, built without Nest; `cleanup` removes every key of the prefix. */
export function storeHarness(retentionSeconds = 3600) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const options: BatchStoreOptions = {
    redisUrl: REDIS_URL,
    retentionSeconds,
    keyPrefix: `t-${randomUUID().slice(0, 8)}`,
  };
  return {
    redis,
    options,
    repo: new BatchRepository(redis, options),
    outbox: new OutboxRepository(redis, options),
    async cleanup(): Promise<void> {
      const keys = await redis.keys(`${options.keyPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}
