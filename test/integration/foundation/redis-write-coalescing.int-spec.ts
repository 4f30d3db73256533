// The apps' Redis connection sends the commands of one event-loop turn in one socket write (coalesceWritesPerTick),
// on a real Redis: the writes that reach the socket are counted, the answers and their order checked, and a
// reconnection's new socket coalesces too.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { createBatchingRedisClient } from '#infra';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Counts the writes that reach `client`'s current socket (one per syscall-level write or writev). */
function countSocketWrites(client: Redis): { writes: () => number } {
  const socket = (client as unknown as { stream: Socket & { _writeGeneric: (...args: unknown[]) => void } })
    .stream;
  let writes = 0;
  const original = socket._writeGeneric.bind(socket);
  socket._writeGeneric = (...args: unknown[]) => {
    writes += 1;
    original(...args);
  };
  return { writes: () => writes };
}

describe('Redis writes coalesced per event-loop turn', () => {
  const prefix = `coalesce-${randomUUID()}`;
  let client: Redis;

  beforeEach(async () => {
    client = createBatchingRedisClient({ url: REDIS_URL, clusterNodes: [] }, { maxRetriesPerRequest: null });
    await client.ping();
  });

  afterEach(async () => {
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('sends the commands issued in one turn, with the microtasks after it, in one write, in order', async () => {
    const counter = countSocketWrites(client);
    const key = `${prefix}:n`;
    const answers = Promise.all([
      client.set(key, '1'),
      client.incr(key),
      Promise.resolve().then(() => client.incrby(key, 10)),
      client.get(key),
    ]);
    expect(await answers).toEqual(['OK', 2, 12, '2']);
    expect(counter.writes()).toBe(1);

    // Two turns, two writes: nothing waits for a later turn.
    await client.incr(key);
    await client.incr(key);
    expect(counter.writes()).toBe(3);
    expect(await client.get(key)).toBe('14');
  });

  it('coalesces on the new socket after a reconnection', async () => {
    const first = (client as unknown as { stream: Socket }).stream;
    const ready = new Promise((resolve) => client.once('ready', resolve));
    first.destroy();
    await ready;
    expect((client as unknown as { stream: Socket }).stream).not.toBe(first);
    const counter = countSocketWrites(client);
    const key = `${prefix}:m`;
    expect(await Promise.all([client.set(key, 'a'), client.append(key, 'b'), client.get(key)])).toEqual([
      'OK',
      2,
      'ab',
    ]);
    expect(counter.writes()).toBe(1);
  });
});
