import { urlOptions } from '#infra';
import type { RedisOptions } from 'bullmq';

/** ioredis options from a redis:// or rediss:// URL, for BullMQ (its connections need maxRetriesPerRequest null). */
export function bullConnectionOptions(url: string): RedisOptions {
  return { ...urlOptions(url), maxRetriesPerRequest: null } as RedisOptions;
}
