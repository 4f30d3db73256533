import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { PRIORITY } from '#contracts';
import { LuaScript, REDIS_CLIENT } from '#infra';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from '../batch-store.options.js';

/**
 * Redis keys of the individual lane. One `{lane}` hash tag: every lane script is atomic on a Redis Cluster too.
 */
export class IndividualLaneKeys {
  constructor(readonly prefix: string) {}

  /** Sorted set: batch id → score (priority band, then acceptance time). */
  queued(): string {
    return `${this.prefix}:{lane}:individual:queued`;
  }
  /** Sorted set: batch id → lease deadline (ms, Redis clock) of the worker running it. */
  leased(): string {
    return `${this.prefix}:{lane}:individual:leased`;
  }
  /** Hash: batch id → LaneEntry JSON, while the id is queued or leased. */
  entries(): string {
    return `${this.prefix}:{lane}:individual:entries`;
  }
  /** List of wake-up tokens (one per enqueue): an idle worker blocks on it instead of polling. */
  signal(): string {
    return `${this.prefix}:{lane}:individual:signal`;
  }
  /** Counter: the order of enqueues (FIFO within a priority, even within one millisecond). */
  sequence(): string {
    return `${this.prefix}:{lane}:individual:seq`;
  }
}

/** What the lane keeps of an individual request (the stored record stays the truth). */
export interface LaneEntry {
  /** Platform priority 0–10. */
  priority: number;
  /** The provider/model the request was accepted with: the worker checks their pause with its first reads. */
  target?: { provider: string; model: string };
  /** Times the lane took this id back from a worker whose lease ran out (a crash or a hung call). */
  revivals?: number;
  /** When it was first queued (ms): a job whose batch is not there yet is kept a while (see the consumer). */
  at?: number;
}

/** A job a worker took from the lane: its lease is held until released or renewed. */
export interface ClaimedJob extends LaneEntry {
  batchId: string;
}

/** Sent on the signal list: the id and target of the job just enqueued, so a woken worker can start its reads. */
export interface WakeToken {
  batchId: string;
  target?: { provider: string; model: string };
}

/** Score bands: 2^42 enqueues inside each priority band, exact in a double. */
const BAND = 2 ** 42;
/** Wake-up tokens kept at most: a woken worker claims by priority anyway, so older tokens only cost a claim. */
const MAX_SIGNALS = 1000;

const NOW_MS = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Lua: queues `id` again, last of its priority (`entry` is its decoded LaneEntry), with a wake-up token for a
 * worker. KEYS as the lane's (queued, leased, entries, signal, sequence).
 */
const QUEUE_AGAIN = (id: string, entry: string) => `
redis.call('ZADD', KEYS[1], (${PRIORITY.max} - (tonumber(${entry}.priority) or ${PRIORITY.default})) * ${BAND} + (redis.call('INCR', KEYS[5]) % ${BAND}), ${id})
redis.call('RPUSH', KEYS[4], cjson.encode({batchId = ${id}, target = ${entry}.target}))`;

/** A lane entry as stored, stamped with when it was (first) queued. */
const entryJson = (entry: LaneEntry): string => JSON.stringify({ at: Date.now(), ...entry });
/** A lease length as the scripts take it: whole milliseconds, at least one. */
const leaseArg = (leaseMs: number): number => Math.max(1, Math.round(leaseMs));

/** Platform priority (0–10, higher sooner) → the first score of its band (lower runs sooner). */
function bandOf(priority: number): number {
  const clamped = Math.min(PRIORITY.max, Math.max(PRIORITY.min, Math.round(priority)));
  return (PRIORITY.max - clamped) * BAND;
}

/**
 * KEYS queued, leased, entries, signal, sequence; ARGV id, band, entry JSON, token, lease ms ('' for none), lease
 * only ('1': never queue). Queued first by priority band, then in enqueue order. With a lease and nothing queued, the
 * id is leased to the caller instead (it runs the request itself: no queued request is overtaken, no worker is
 * woken). 1 when queued, 2 when leased, 3 when neither (lease only, something queued), 0 when already there.
 */
const ENQUEUE = new LuaScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if ARGV[5] ~= '' and redis.call('ZCARD', KEYS[1]) == 0 then
  ${NOW_MS}
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
  return 2
end
if ARGV[6] == '1' then return 3 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + (redis.call('INCR', KEYS[5]) % ${BAND}), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('RPUSH', KEYS[4], ARGV[4])
redis.call('LTRIM', KEYS[4], -${MAX_SIGNALS}, -1)
return 1`);

/**
 * KEYS queued, leased, entries, signal; ARGV preferred id ('' for none), lease ms, count. Takes up to `count` queued
 * ids in order, the preferred one first when it is queued in the same priority band as the first (the id whose
 * wake-up token woke the worker: its reads went out with this claim). Leases them and returns {id, entry JSON, …};
 * empty when nothing is queued. Once the queue is empty the wake-up tokens left are stale and dropped.
 */
const CLAIM = new LuaScript(`
local n = tonumber(ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], 0, n - 1, 'WITHSCORES')
local out = {}
if #top == 0 then redis.call('DEL', KEYS[4]) return out end
local ids = {}
local pref = ARGV[1]
if pref ~= '' then
  local s = redis.call('ZSCORE', KEYS[1], pref)
  if s and math.floor(tonumber(s) / ${BAND}) == math.floor(tonumber(top[2]) / ${BAND}) then table.insert(ids, pref) end
end
for i = 1, #top, 2 do
  if #ids < n and top[i] ~= ids[1] then table.insert(ids, top[i]) end
end
${NOW_MS}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)
  table.insert(out, id)
  table.insert(out, redis.call('HGET', KEYS[3], id) or '{}')
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[4]) end
return out`);

/** KEYS leased, entries; ARGV id. Ends a lease (the run finished or handed the job on). */
const RELEASE = new LuaScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('HDEL', KEYS[2], ARGV[1]) return 1 end
return 0`);

/** KEYS leased; ARGV lease ms, ids…. Extends the leases of the ids still leased (by this worker). */
const RENEW = new LuaScript(`
${NOW_MS}
local n = 0
for i = 2, #ARGV do n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i]) end
return n`);

/**
 * KEYS leased, entries; ARGV id, entry JSON, lease ms. Renews a lease taken ahead (leaseIfIdle) and records the
 * request's entry (its priority and provider, known once its body was read). 1 still leased, 0 the lease ran out.
 */
const CONFIRM_LEASE = new LuaScript(`
${NOW_MS}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1`);

/**
 * KEYS queued, leased, entries, signal, sequence; ARGV id. Hands a leased id back to the queue, last of its priority,
 * and wakes a worker (its holder could not run it now: a paused provider). 1 when it was leased, else 0.
 */
const REQUEUE = new LuaScript(`
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
local entry = raw and cjson.decode(raw) or {}
${QUEUE_AGAIN('ARGV[1]', 'entry')}
redis.call('LTRIM', KEYS[4], -${MAX_SIGNALS}, -1)
return 1`);

/**
 * KEYS queued, leased, entries, signal, sequence; ARGV limit. Puts ids whose lease ran out back in the queue, last
 * of their priority (their worker died or hung), counting a revival; returns {id, revivals} pairs.
 */
const REAP = new LuaScript(`
${NOW_MS}
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  local raw = redis.call('HGET', KEYS[3], id)
  local entry = raw and cjson.decode(raw) or {}
  entry.revivals = (entry.revivals or 0) + 1
  redis.call('HSET', KEYS[3], id, cjson.encode(entry))
  ${QUEUE_AGAIN('id', 'entry')}
  table.insert(out, id)
  table.insert(out, entry.revivals)
end
return out`);

/**
 * The individual requests' queue: a Redis priority queue with leases, built for the latency of one request.
 * BullMQ (the batch queue, and the individual retries and pauses handed to it) costs several scripts per job; a job
 * here costs one script to enqueue, one to claim (sent with the run's first reads) and one to release (sent with
 * the run's last writes). Never lost: a claimed id is leased, and a lease that runs out puts it back; never run
 * twice at once while its worker renews the lease.
 */
@Injectable()
export class IndividualLane {
  readonly keys: IndividualLaneKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new IndividualLaneKeys(resolvedKeyPrefix(options));
  }

  private get all(): string[] {
    return [
      this.keys.queued(),
      this.keys.leased(),
      this.keys.entries(),
      this.keys.signal(),
      this.keys.sequence(),
    ];
  }

  /** Queues the request (no-op while it is queued or leased) and wakes one idle worker. */
  async enqueue(batchId: string, entry: LaneEntry): Promise<boolean> {
    return (await this.enqueueOrLease(batchId, entry)) === 'queued';
  }

  /**
   * Like `enqueue`, but with `leaseMs` and nothing queued the caller gets the id under a lease of `leaseMs` instead
   * ('leased': it runs the request itself, renewing and releasing the lease like a worker; a lease that runs out
   * puts it back in the queue). 'present' when the id was queued or leased already.
   */
  async enqueueOrLease(
    batchId: string,
    entry: LaneEntry,
    leaseMs?: number,
  ): Promise<'queued' | 'leased' | 'present'> {
    const outcome = await this.runEnqueue(batchId, entry, leaseMs, false);
    return outcome === 2 ? 'leased' : outcome === 1 ? 'queued' : 'present';
  }

  /**
   * Leases `batchId` (not stored yet) to the caller when nothing is queued: taken before an individual request's
   * body is read, so that it can be stored as already running (no take later). False when something is queued.
   */
  async leaseIfIdle(batchId: string, entry: LaneEntry, leaseMs: number): Promise<boolean> {
    return (await this.runEnqueue(batchId, entry, leaseMs, true)) === 2;
  }

  private async runEnqueue(
    batchId: string,
    entry: LaneEntry,
    leaseMs: number | undefined,
    leaseOnly: boolean,
  ): Promise<number> {
    const token: WakeToken = { batchId, ...(entry.target ? { target: entry.target } : {}) };
    return Number(
      await ENQUEUE.run(this.redis, this.all, [
        batchId,
        bandOf(entry.priority),
        entryJson(entry),
        JSON.stringify(token),
        leaseMs === undefined ? '' : leaseArg(leaseMs),
        leaseOnly ? '1' : '0',
      ]),
    );
  }

  /** Renews a lease taken by `leaseIfIdle` with the request's own entry; false when it ran out meanwhile. */
  async confirmLease(batchId: string, entry: LaneEntry, leaseMs: number): Promise<boolean> {
    const held = await CONFIRM_LEASE.run(
      this.redis,
      [this.keys.leased(), this.keys.entries()],
      [batchId, entryJson(entry), leaseArg(leaseMs)],
    );
    return held === 1;
  }

  /** Hands a job this process leased back to the queue (last of its priority) and wakes a worker. */
  async requeue(batchId: string): Promise<boolean> {
    return (await REQUEUE.run(this.redis, this.all, [batchId])) === 1;
  }

  /** Takes the next job (or `preferred` when it is as urgent as the next) under a lease of `leaseMs`. */
  async claim(leaseMs: number, preferred = ''): Promise<ClaimedJob | null> {
    return (await this.claimMany(leaseMs, 1, preferred))[0] ?? null;
  }

  /** Takes up to `count` jobs in priority order (`preferred` first when it is as urgent as the first). */
  async claimMany(leaseMs: number, count: number, preferred = ''): Promise<ClaimedJob[]> {
    const flat = (await CLAIM.run(this.redis, this.all, [preferred, leaseMs, count])) as string[];
    const jobs: ClaimedJob[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const entry = JSON.parse(flat[i + 1]) as Partial<LaneEntry>;
      jobs.push({ priority: PRIORITY.default, ...entry, batchId: flat[i] });
    }
    return jobs;
  }

  async release(batchId: string): Promise<boolean> {
    return (await RELEASE.run(this.redis, [this.keys.leased(), this.keys.entries()], [batchId])) === 1;
  }

  async renew(batchIds: readonly string[], leaseMs: number): Promise<number> {
    if (batchIds.length === 0) return 0;
    return Number(await RENEW.run(this.redis, [this.keys.leased()], [leaseMs, ...batchIds]));
  }

  /** Re-queues up to `limit` jobs whose lease ran out; returns them with their revival counts. */
  async reapExpired(limit = 100): Promise<Array<{ batchId: string; revivals: number }>> {
    const flat = (await REAP.run(this.redis, this.all, [limit])) as Array<string | number>;
    const out: Array<{ batchId: string; revivals: number }> = [];
    for (let i = 0; i < flat.length; i += 2)
      out.push({ batchId: String(flat[i]), revivals: Number(flat[i + 1]) });
    return out;
  }

  /** Whether the id is queued or leased (the lane will run it, or is running it). */
  async holds(batchId: string): Promise<boolean> {
    const [queued, leased] = await Promise.all([
      this.redis.zscore(this.keys.queued(), batchId),
      this.redis.zscore(this.keys.leased(), batchId),
    ]);
    return queued !== null || leased !== null;
  }

  async depths(): Promise<{ queued: number; leased: number }> {
    const [queued, leased] = await Promise.all([
      this.redis.zcard(this.keys.queued()),
      this.redis.zcard(this.keys.leased()),
    ]);
    return { queued, leased };
  }

  /**
   * Waits up to `timeoutSeconds` for a wake-up token on `blocking` (a connection of its own: a blocked connection
   * runs nothing else). Null on timeout.
   */
  async waitForSignal(blocking: Redis, timeoutSeconds: number): Promise<WakeToken | null> {
    const reply = await blocking.blpop(this.keys.signal(), timeoutSeconds);
    return reply ? (JSON.parse(reply[1]) as WakeToken) : null;
  }
}
