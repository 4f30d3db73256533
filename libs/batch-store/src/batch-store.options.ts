import { redisTargetFrom, type RedisTarget } from '#infra';

export const BATCH_STORE_OPTIONS = Symbol('BATCH_STORE_OPTIONS');

export interface BatchStoreOptions {
  redisUrl: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); empty or absent: the single server at redisUrl. */
  redisClusterNodes?: string;
  /** How long a terminal batch (record, requests, results, idempotency key) is kept. */
  retentionSeconds: number;
  /**
   * Prefix of every key of this store and of the BullMQ queues (`<prefix>:{bull}`, see bullPrefix). The API and the worker must
   * use the same one; tests use a unique one for isolation.
   */
  keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'lbs';

export function resolvedKeyPrefix(options: Pick<BatchStoreOptions, 'keyPrefix'>): string {
  return options.keyPrefix ?? DEFAULT_KEY_PREFIX;
}

/** Where this store's Redis is (single server or cluster). */
export function storeRedisTarget(
  options: Pick<BatchStoreOptions, 'redisUrl' | 'redisClusterNodes'>,
): RedisTarget {
  return redisTargetFrom({ REDIS_URL: options.redisUrl, REDIS_CLUSTER_NODES: options.redisClusterNodes });
}

/**
 * Prefix of the BullMQ queues. The `{bull}` hash tag puts every key of every queue in one Redis Cluster slot,
 * which BullMQ requires on a cluster (its scripts touch several keys of a queue at once).
 */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}:{bull}`;
}
