export const BATCH_STORE_OPTIONS = Symbol('BATCH_STORE_OPTIONS');

export interface BatchStoreOptions {
  redisUrl: string;
  /** How long a terminal batch (record, requests, results, idempotency key) is kept. */
  retentionSeconds: number;
  /**
   * Prefix of every key of this store and of the BullMQ queues (`<prefix>:bull`). The API and the worker must
   * use the same one; tests use a unique one for isolation.
   */
  keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'lbs';

export function resolvedKeyPrefix(options: Pick<BatchStoreOptions, 'keyPrefix'>): string {
  return options.keyPrefix ?? DEFAULT_KEY_PREFIX;
}
