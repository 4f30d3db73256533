import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { assertOneSlot } from './key-slot.js';

/**
 * A Lua script run by EVALSHA, loaded on first use (or after a Redis restart flushed the script cache).
 *
 * Redis Cluster rules, enforced here for every script of the platform: every key a script touches is passed in
 * KEYS (never built inside Lua: tested by lua-scripts.spec.ts), and all of them hash to one slot (checked before
 * each call, so a single-Redis test run already fails on a script that a cluster would refuse with CROSSSLOT).
 */
export class LuaScript {
  private readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    assertOneSlot(keys);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}
