import { CjScoringError } from '../errors/cj-scoring-error.js';
import type { Pair } from '../types.js';
import { generatePairs } from './generate-pairs.js';

const essays = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`);

function counts(pairs: Pair[]) {
  const total = new Map<string, number>();
  const asA = new Map<string, number>();
  const asB = new Map<string, number>();
  for (const { essay_a, essay_b } of pairs) {
    total.set(essay_a, (total.get(essay_a) ?? 0) + 1);
    total.set(essay_b, (total.get(essay_b) ?? 0) + 1);
    asA.set(essay_a, (asA.get(essay_a) ?? 0) + 1);
    asB.set(essay_b, (asB.get(essay_b) ?? 0) + 1);
  }
  return { total, asA, asB };
}

function connected(ids: string[], pairs: Pair[]): boolean {
  const neighbours = new Map(ids.map((id) => [id, [] as string[]]));
  for (const { essay_a, essay_b } of pairs) {
    neighbours.get(essay_a)!.push(essay_b);
    neighbours.get(essay_b)!.push(essay_a);
  }
  const seen = new Set([ids[0]]);
  const queue = [ids[0]];
  while (queue.length > 0) {
    for (const next of neighbours.get(queue.pop()!)!) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen.size === ids.length;
}

const cases: Array<[n: number, k: number]> = [
  [3, 1],
  [10, 1],
  [5, 2],
  [7, 3],
  [9, 4],
  [10, 7],
  [11, 8],
  [12, 9],
  [40, 5],
  [41, 5],
  [60, 10],
  [101, 13],
  [300, 20],
];

describe('generatePairs', () => {
  it.each(cases)('n=%i k=%i: connected, counts within 1 of k, A/B balanced, no repeated pair', (n, k) => {
    const ids = essays(n);
    for (const seed of [1, 2, 3]) {
      const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: k, seed });
      expect(connected(ids, pairs)).toBe(true);
      const { total, asA, asB } = counts(pairs);
      const off = ids.filter((id) => (total.get(id) ?? 0) !== k);
      for (const id of ids) {
        expect(Math.abs((total.get(id) ?? 0) - k)).toBeLessThanOrEqual(1);
        expect(Math.abs((asA.get(id) ?? 0) - (asB.get(id) ?? 0))).toBeLessThanOrEqual(1);
      }
      // Exactly k everywhere when n*k is even (k = 1 is a path: its two ends have 1, the rest 2).
      if (k > 1) expect(off.length).toBe((n * k) % 2);
      const unordered = pairs.map(({ essay_a, essay_b }) => [essay_a, essay_b].sort().join('|'));
      expect(new Set(unordered).size).toBe(pairs.length);
      expect(pairs.every((p) => p.essay_a !== p.essay_b)).toBe(true);
      expect(pairs.map((p) => p.pair_index)).toEqual(pairs.map((_, i) => i));
    }
  });

  it('uses all pairs when k >= n - 1', () => {
    for (const [n, k] of [
      [2, 1],
      [5, 4],
      [6, 10],
    ]) {
      const pairs = generatePairs({ essayIds: essays(n), comparisonsPerEssay: k, seed: 9 });
      expect(pairs).toHaveLength((n * (n - 1)) / 2);
      const { asA, asB } = counts(pairs);
      for (const id of essays(n))
        expect(Math.abs((asA.get(id) ?? 0) - (asB.get(id) ?? 0))).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic per seed and differs between seeds', () => {
    const options = { essayIds: essays(50), comparisonsPerEssay: 8 };
    const a = generatePairs({ ...options, seed: 42 });
    expect(generatePairs({ ...options, seed: 42 })).toEqual(a);
    expect(generatePairs({ ...options, seed: 43 })).not.toEqual(a);
  });

  it('bothOrders: each chosen pair once as A/B and once as B/A, about k judgements per essay', () => {
    const ids = essays(30);
    const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 10, seed: 5, bothOrders: true });
    const ordered = pairs.map((p) => `${p.essay_a}>${p.essay_b}`);
    expect(new Set(ordered).size).toBe(pairs.length);
    for (const p of pairs) expect(ordered).toContain(`${p.essay_b}>${p.essay_a}`);
    const { total, asA, asB } = counts(pairs);
    for (const id of ids) {
      expect(total.get(id)).toBe(10);
      expect(asA.get(id)).toBe(asB.get(id));
    }
    expect(connected(ids, pairs)).toBe(true);
    const small = generatePairs({ essayIds: essays(4), comparisonsPerEssay: 6, seed: 5, bothOrders: true });
    expect(small).toHaveLength(12);
  });

  it('rejects bad input with typed, coded errors', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(CjScoringError);
        return (error as CjScoringError).code;
      }
      return 'no error';
    };
    expect(code(() => generatePairs({ essayIds: ['a', 'b', 'a'], comparisonsPerEssay: 2, seed: 1 }))).toBe(
      'DUPLICATE_ESSAY_ID',
    );
    expect(code(() => generatePairs({ essayIds: ['a'], comparisonsPerEssay: 2, seed: 1 }))).toBe(
      'TOO_FEW_ESSAYS',
    );
    expect(code(() => generatePairs({ essayIds: ['a', 'b'], comparisonsPerEssay: 0, seed: 1 }))).toBe(
      'INVALID_COMPARISONS_PER_ESSAY',
    );
    expect(code(() => generatePairs({ essayIds: ['a', 'b'], comparisonsPerEssay: 1.5, seed: 1 }))).toBe(
      'INVALID_COMPARISONS_PER_ESSAY',
    );
    expect(
      code(() => generatePairs({ essayIds: ['a', 'b'], comparisonsPerEssay: 1, seed: Number.NaN })),
    ).toBe('INVALID_SEED');
  });
});
