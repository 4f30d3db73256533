import { Partitioners, type PartitionerArgs, type PartitionMetadata } from 'kafkajs';
import { KeyedPartitioner } from './keyed-partitioner.js';

const partitions = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

const args = (
  topic: string,
  count: number,
  message: PartitionerArgs['message'],
  leaderless: number[] = [],
): PartitionerArgs => ({ topic, partitionMetadata: partitions(count, leaderless), message });

describe('KeyedPartitioner', () => {
  it('places every keyed message where kafkajs’s default (Java-compatible murmur2) partitioner does', () => {
    const ours = KeyedPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    let spread = new Set<number>();
    for (const count of [1, 3, 12, 50]) {
      spread = new Set();
      for (let i = 0; i < 500; i += 1) {
        const message = { key: `batch-${i}-${(i * 7919) % 997}`, value: '{}' };
        const expected = reference(args('results', count, message));
        // Asked twice: the second answer comes from memory and must be the same.
        expect(ours(args('results', count, message))).toBe(expected);
        expect(ours(args('results', count, message))).toBe(expected);
        spread.add(expected);
      }
    }
    // With 50 partitions the keys really spread (the check above compared more than one answer).
    expect(spread.size).toBeGreaterThan(20);
  });

  it('remembers per topic and partition count: the same key follows a topic that grew', () => {
    const ours = KeyedPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const key = 'batch-that-moves';
    const placements = [2, 3, 5, 7, 11, 13].map((count) => {
      const message = { key, value: '{}' };
      expect(ours(args('a', count, message))).toBe(reference(args('a', count, message)));
      return ours(args('a', count, message));
    });
    expect(new Set(placements).size).toBeGreaterThan(1);
  });

  it('honours an explicit partition and leaves keyless messages to the default round robin over live leaders', () => {
    const ours = KeyedPartitioner();
    expect(ours(args('t', 8, { key: 'k', value: '{}', partition: 6 }))).toBe(6);
    // The same key without a partition is placed by its hash: the explicit partition was not remembered for it.
    const reference = Partitioners.DefaultPartitioner();
    expect(ours(args('t', 8, { key: 'k', value: '{}' }))).toBe(
      reference(args('t', 8, { key: 'k', value: '{}' })),
    );
    const keyless = new Set<number>();
    for (let i = 0; i < 40; i += 1) keyless.add(ours(args('t', 4, { value: '{}' }, [1, 3])));
    expect([...keyless].sort()).toEqual([0, 2]);
  });

  it('places Buffer keys as the default does, and keeps working past its memory bound', () => {
    const ours = KeyedPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const buffer = { key: Buffer.from('binary-key'), value: '{}' };
    expect(ours(args('t', 9, buffer))).toBe(reference(args('t', 9, buffer)));
    for (let i = 0; i < 25_000; i += 1) {
      const message = { key: `k-${i}`, value: '{}' };
      if (i % 2_500 === 0) expect(ours(args('t', 9, message))).toBe(reference(args('t', 9, message)));
      else ours(args('t', 9, message));
    }
    const early = { key: 'k-1', value: '{}' };
    expect(ours(args('t', 9, early))).toBe(reference(args('t', 9, early)));
  });
});
