import { describe, expect, it } from '@jest/globals';
import { assertOneSlot, CrossSlotKeysError, hashedPart, keySlot } from './key-slot.js';

describe('keySlot', () => {
  // Expected slots as answered by `redis-cli -p 7101 cluster keyslot <key>` on the local cluster (Redis 7.0).
  it.each([
    ['foo', 12182],
    ['123456789', 12739],
    ['{user1000}.following', 3443],
    ['a{}b', 13694],
    ['{}x', 10595],
    ['lbs:batch:{abc}:requests', 7638],
    ['x{y', 2740],
  ])('%s → slot %i', (key, slot) => {
    expect(keySlot(key)).toBe(slot);
  });

  it('hashes only the first non-empty hash tag', () => {
    expect(hashedPart('a:{b}:{c}')).toBe('b');
    expect(hashedPart('a:{}:{c}')).toBe('a:{}:{c}');
    expect(keySlot('p:batch:{id-1}')).toBe(keySlot('p:outbox:{id-1}:dead'));
  });

  it('refuses keys of different slots before anything is sent', () => {
    expect(() => assertOneSlot(['p:batch:{a}', 'p:batch:{a}:results'])).not.toThrow();
    expect(() => assertOneSlot(['p:batch:{a}', 'p:batches:live'])).toThrow(CrossSlotKeysError);
  });
});
