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

  it('with joint pairs (chosen from all judgements) stepped up: still near 0 for a coin-flip judge', () => {
    const values: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { ids, halves } = adaptiveChains(seed * 100, 0, 4);
      let all = [...halves[0], ...halves[1]];
      let pairs: Pair[] = all.map((j, i) => ({ pair_index: i, essay_a: j.essay_a, essay_b: j.essay_b }));
      const { abilities } = simulatedEssays(40, seed * 100, 0);
      for (let round = 0; round < 4; round++) {
        const next = selectAdaptivePairs({
          essayIds: ids,
          previousPairs: pairs,
          judgements: all,
          comparisonsPerEssay: 2,
          maxComparisonsPerEssay: 40,
          seed: seed * 13 + round,
        });
        pairs = [...pairs, ...next];
        all = [...all, ...simulateJudgements(next, abilities, seed * 17 + round)];
      }
      values.push(chainReliability(ids, halves[0], halves[1], { totalJudgements: all.length }).reliability!);
    }
    expect(Math.abs(mean(values))).toBeLessThan(0.2);
  });

  it('steps the chains up to totalJudgements with the general Spearman-Brown formula', () => {
    const { ids, halves } = adaptiveChains(78, 1, 3);
    const plain = chainReliability(ids, halves[0], halves[1]);
    const chains = halves[0].length + halves[1].length;
    const stepped = chainReliability(ids, halves[0], halves[1], { totalJudgements: 2 * chains });
    expect(stepped.half_correlation).toBe(plain.half_correlation);
    const rho = plain.reliability!;
    expect(rho).toBeGreaterThan(0);
    expect(stepped.reliability).toBeCloseTo((2 * rho) / (1 + rho), 12);
    // Fewer judgements than the chains, or none given: no step.
    expect(chainReliability(ids, halves[0], halves[1], { totalJudgements: 1 }).reliability).toBe(rho);
  });

  it('is high when there is a clear quality order', () => {
    const { ids, halves } = adaptiveChains(77, 2, 6);
    expect(chainReliability(ids, halves[0], halves[1]).reliability).toBeGreaterThan(0.85);
  });
});
