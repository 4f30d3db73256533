import { Inject, Injectable } from '@nestjs/common';
import type { ProviderName } from '#contracts';
import { REDIS_CLIENT } from '#infra';
import type { Redis } from 'ioredis';
import { BatchKeys } from './batch-keys.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';
import { LuaScript } from '#infra';

/** KEYS: pause key. ARGV: ms → sets the key for `ms` unless it already lasts longer (a pause only grows). */
const EXTEND_PAUSE_SCRIPT = new LuaScript(`
local left = redis.call('PTTL', KEYS[1])
if left < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`);

/**
 * Pauses of one provider (an open circuit) or one provider + model (a 429), shared by every worker through
 * Redis with an expiry. Only new work checks them (submissions, individual calls): a rate limit or a sick
 * provider never holds up other providers' work, nor any status poll.
 */
@Injectable()
export class ProviderPauseStore {
  private readonly keys: BatchKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
  }

  /** Pauses new work for `provider` (every model when `model` is null) for at least `ms`. */
  async pause(provider: ProviderName, model: string | null, ms: number): Promise<void> {
    const key = this.keys.pause(provider, model);
    await EXTEND_PAUSE_SCRIPT.run(this.redis, [key], [Math.max(1, Math.ceil(ms))]);
  }

  /** Milliseconds until new work for `provider`/`model` may start (0: not paused). */
  async remainingMs(provider: ProviderName, model: string): Promise<number> {
    const [whole, one] = await Promise.all([
      this.redis.pttl(this.keys.pause(provider, null)),
      this.redis.pttl(this.keys.pause(provider, model)),
    ]);
    return Math.max(0, whole, one);
  }
}
