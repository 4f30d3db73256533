import { Inject, Injectable } from '@nestjs/common';
import type { ProviderName } from '#contracts';
import { LuaScript, REDIS_CLIENT } from '#infra';
import type { Redis } from 'ioredis';
import { BatchKeys } from './batch-keys.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';

/**
 * KEYS: ledger hash (member → "tokens:expiresAtMs"). ARGV: member, tokens, budget, nowMs, expiresAtMs.
 * Drops expired reservations, then reserves `tokens` for `member` when the ledger is empty or they fit under
 * `budget`. A member already reserved is admitted again without counting twice (a repeated step).
 * → 1 admitted, 0 over budget
 */
const RESERVE_SCRIPT = new LuaScript(`
local entries = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[4])
local used = 0
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local sep = string.find(value, ':', 1, true)
  local tokens = tonumber(string.sub(value, 1, sep - 1))
  local expires = tonumber(string.sub(value, sep + 1))
  if expires <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  elseif entries[i] == ARGV[1] then
    return 1
  else
    used = used + tokens
  end
end
if used > 0 and used + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[5])
return 1
`);

/**
 * Tokens this deployment has in a provider's batch queue, per provider and model, shared by every worker through
 * Redis: a part reserves its estimated tokens before it is created and gives them back when it leaves the queue
 * (ended, failed, expired, canceled). A reservation that is never given back (a worker lost for good) lapses
 * after `ttlMs`. One hash per provider/model, so each script touches one key (one cluster slot).
 */
@Injectable()
export class EnqueuedTokenStore {
  private readonly keys: BatchKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
  }

  /**
   * Reserves `tokens` for `member` (a part) when they fit under `budget` with what is already enqueued; a part
   * is always admitted into an empty queue (it was planned under the budget). Returns whether it was.
   */
  async reserve(
    provider: ProviderName,
    model: string,
    member: string,
    tokens: number,
    budget: number,
    ttlMs: number,
  ): Promise<boolean> {
    const now = Date.now();
    const outcome = await RESERVE_SCRIPT.run(
      this.redis,
      [this.keys.enqueuedTokens(provider, model)],
      [member, Math.ceil(tokens), budget, now, now + ttlMs],
    );
    return outcome === 1;
  }

  /** Gives back the reservations of `members` (unknown ones are ignored). */
  async release(provider: ProviderName, model: string, members: string[]): Promise<void> {
    if (members.length === 0) return;
    await this.redis.hdel(this.keys.enqueuedTokens(provider, model), ...members);
  }

  /** Tokens currently reserved for `provider`/`model` (expired reservations included until the next reserve). */
  async enqueued(provider: ProviderName, model: string): Promise<number> {
    const values = await this.redis.hvals(this.keys.enqueuedTokens(provider, model));
    return values.reduce((sum, value) => sum + Number(value.split(':')[0]), 0);
  }
}
