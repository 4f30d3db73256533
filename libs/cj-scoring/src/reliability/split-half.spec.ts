import { generatePairs } from '../design/generate-pairs.js';
import { selectAdaptivePairs } from '../design/adaptive-pairs.js';
import { simulatedEssays, simulateJudgements } from '../testing/simulate-judgements.js';
import type { Judgement, Pair } from '../types.js';
import { chainReliability, splitHalfReliability } from './split-half.js';

function balancedStudy(seed: number, sd: number, k = 12, n = 60) {
  const { ids, abilities } = simulatedEssays(n, seed, sd);
  const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: k, seed: seed + 1 });
  return { ids, judgements: simulateJudgements(pairs, abilities, seed + 2) };
}

/** Two independent adaptive chains to `rounds`, each choosing pairs from its own judgements only. */
function adaptiveChains(seed: number, sd: number, rounds: number) {
  const { ids, abilities } = simulatedEssays(40, seed, sd);
  let pairs: Pair[] = generatePairs({ essayIds: ids, comparisonsPerEssay: 4, seed });
  const first = simulateJudgements(pairs, abilities, seed + 1);
  const halves: Judgement[][] = [first.slice(0, first.length / 2), first.slice(first.length / 2)];
  for (let round = 0; round < rounds; round++) {
    for (const chain of [0, 1]) {
      const next = selectAdaptivePairs({
        essayIds: ids,
        previousPairs: pairs,
        judgements: halves[chain],
        comparisonsPerEssay: 1,
        maxComparisonsPerEssay: 40,
        seed: seed * 7 + round * 2 + chain,
      });
      pairs = [...pairs, ...next];
      halves[chain].push(...simulateJudgements(next, abilities, seed * 11 + round * 2 + chain));
    }
  }
  return { ids, halves };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('splitHalfReliability (random splits of the judgements, for non-adaptive designs)', () => {
  it('is high for a clear quality order and near 0 for a coin-flip judge', () => {
    const strong = [1, 2, 3].map((s) => {
      const { ids, judgements } = balancedStudy(s * 10, 2);
      return splitHalfReliability(ids, judgements, { seed: s }).reliability!;
    });
    const noise = [1, 2, 3, 4, 5, 6].map((s) => {
      const { ids, judgements } = balancedStudy(s * 10, 0);
      return splitHalfReliability(ids, judgements, { seed: s }).reliability!;
    });
    expect(Math.min(...strong)).toBeGreaterThan(0.75);
    expect(Math.abs(mean(noise))).toBeLessThan(0.15);
  });

  it('is deterministic for a seed and reports its parts', () => {
    const { ids, judgements } = balancedStudy(5, 1);
    const a = splitHalfReliability(ids, judgements, { seed: 9, splits: 4 });
    expect(splitHalfReliability(ids, judgements, { seed: 9, splits: 4 })).toEqual(a);
    expect(a.splits).toBe(4);
    expect(a.reliability).toBeCloseTo((2 * a.half_correlation!) / (1 + a.half_correlation!), 12);
  });

  it('is null when too little was judged and rejects bad options', () => {
    const one: Judgement[] = [{ essay_a: 'a', essay_b: 'b', winner: 'Essay A' }];
    expect(splitHalfReliability(['a', 'b'], one, { seed: 1 }).reliability).toBeNull();
    expect(() => splitHalfReliability(['a', 'b'], one, { seed: 1, splits: 0 })).toThrow(/splits/);
    expect(() => splitHalfReliability(['a', 'b'], one, { seed: 1.5 })).toThrow(/seed/);
  });
});

describe('chainReliability (two independent adaptive chains)', () => {
  it('stays near 0 for a coin-flip judge, where a random split of the same adaptive data is inflated', () => {
    const chains: number[] = [];
    const randomSplits: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { ids, halves } = adaptiveChains(seed * 100, 0, 8);
      chains.push(chainReliability(ids, halves[0], halves[1]).reliability!);
      randomSplits.push(splitHalfReliability(ids, [...halves[0], ...halves[1]], { seed }).reliability!);
    }
    expect(Math.abs(mean(chains))).toBeLessThan(0.2);
    // The adaptive design carries early luck into both halves of a random split (Bramley 2015's inflation).
    expect(mean(randomSplits)).toBeGreaterThan(mean(chains) + 0.2);
  });

  it('is high when there is a clear quality order', () => {
    const { ids, halves } = adaptiveChains(77, 2, 6);
    expect(chainReliability(ids, halves[0], halves[1]).reliability).toBeGreaterThan(0.85);
  });
});
