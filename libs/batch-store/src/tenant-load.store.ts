import type { Redis } from 'ioredis';
import { LuaScript } from '#infra';

const TOTAL = '__total';
/** Expiry of a one-second request counter: it outlives its second, then goes. */
const RATE_TTL_SECONDS = 2;

/**
 * KEYS: the tenant's counter of one second. ARGV: ttlSeconds → the count so far. One command per request (a
 * MULTI of INCR and EXPIRE was four); the expiry is set by the first hit of the second.
 */
/** Lua: counts one request on `key` into `local <into>`, the first count of its second setting the expiry. */
function countRequest(into: string, key: string, ttlArg: string): string {
  return `local ${into} = redis.call('INCR', ${key})
if ${into} == 1 then redis.call('EXPIRE', ${key}, tonumber(${ttlArg})) end`;
}

const HIT = new LuaScript(`
${countRequest('n', 'KEYS[1]', 'ARGV[1]')}
return n
`);

/**
 * KEYS: the tenant's in-flight hash [, its request counter of this second]. ARGV: batchId, count, limit
 * [, ttlSeconds, requests per second] → {1, total, requests} taken (or already held), {0, total, requests}
 * refused. With the counter the request is counted first (as HIT does), and over the per-second limit nothing is
 * taken: {-1, 0, requests}. Both keys carry the tenant's hash tag, so they share one Redis Cluster slot.
 */
const ACQUIRE = new LuaScript(`
local requests = 0
if KEYS[2] then
  ${countRequest('counted', 'KEYS[2]', 'ARGV[4]')}
  requests = counted
  if requests > tonumber(ARGV[5]) then return {-1, 0, requests} end
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return {1, tonumber(redis.call('HGET', KEYS[1], '${TOTAL}') or '0'), requests}
end
local total = tonumber(redis.call('HGET', KEYS[1], '${TOTAL}') or '0')
local n = tonumber(ARGV[2])
if total + n > tonumber(ARGV[3]) then return {0, total, requests} end
redis.call('HSET', KEYS[1], ARGV[1], n)
return {1, redis.call('HINCRBY', KEYS[1], '${TOTAL}', n), requests}
`);

/**
 * KEYS: the tenant's in-flight hash. ARGV: batchId → comparisons released (0 when it held none). The hash is deleted
 * once nothing is held.
 */
const RELEASE = new LuaScript(`
local n = redis.call('HGET', KEYS[1], ARGV[1])
if not n then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local left = redis.call('HINCRBY', KEYS[1], '${TOTAL}', -tonumber(n))
-- Nothing held any more: leave no key behind (a refused request stores nothing, not even an empty counter).
if left <= 0 and redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) end
return tonumber(n)
`);

/**
 * Per-tenant load in Redis, shared by every api replica: a request counter per one-second window, and the
 * comparisons of the tenant's unfinished batches (taken when a batch is accepted, given back when it reaches a
 * terminal status — by whichever process makes that transition).
 */
export class TenantLoadStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Counts one request in the current second; returns the count so far in this second. */
  async hit(tenant: string, nowMs: number = Date.now()): Promise<number> {
    return (await HIT.run(this.redis, [this.rateKey(tenant, nowMs)], [RATE_TTL_SECONDS])) as number;
  }

  /**
   * `hit` and, when the count is within `requestsPerSecond`, `acquire` in one script (one round trip): for a
   * request whose comparisons are known before its body is read. Over the per-second limit nothing is taken.
   */
  async hitAndAcquire(
    tenant: string,
    nowMs: number,
    requestsPerSecond: number,
    hold: { batchId: string; comparisons: number; limit: number },
  ): Promise<{ requests: number; acquired: boolean; total: number }> {
    const [ok, total, requests] = (await ACQUIRE.run(
      this.redis,
      [this.inflightKey(tenant), this.rateKey(tenant, nowMs)],
      [hold.batchId, hold.comparisons, hold.limit, RATE_TTL_SECONDS, requestsPerSecond],
    )) as [number, number, number];
    return { requests, acquired: ok === 1, total };
  }

  async acquire(
    tenant: string,
    batchId: string,
    comparisons: number,
    limit: number,
  ): Promise<{ ok: boolean; total: number }> {
    const [ok, total] = (await ACQUIRE.run(
      this.redis,
      [this.inflightKey(tenant)],
      [batchId, comparisons, limit],
    )) as [number, number];
    return { ok: ok === 1, total };
  }

  async release(tenant: string, batchId: string): Promise<number> {
    return (await RELEASE.run(this.redis, [this.inflightKey(tenant)], [batchId])) as number;
  }

  /** Batch ids holding load for the tenant (for reconciling entries whose release was lost). */
  async holders(tenant: string): Promise<string[]> {
    return (await this.redis.hkeys(this.inflightKey(tenant))).filter((field) => field !== TOTAL);
  }

  private rateKey(tenant: string, nowMs: number): string {
    return `${this.prefix}:rate:{${tenant}}:${Math.floor(nowMs / 1000)}`;
  }

  private inflightKey(tenant: string): string {
    return `${this.prefix}:inflight:{${tenant}}`;
  }
}
