import { CjScoringError } from '../errors/cj-scoring-error.js';
import { fitBradleyTerry } from '../bt/fit-bradley-terry.js';
import { simulatedEssays, simulateJudgements } from '../testing/simulate-judgements.js';
import type { Judgement, Pair } from '../types.js';
import { spearman } from '../stats/spearman.js';
import { DISCORDANCE_MAX_ESSAYS, selectAdaptivePairs } from './adaptive-pairs.js';
import { generatePairs } from './generate-pairs.js';

const key = (p: Pair) => [p.essay_a, p.essay_b].sort().join('|');

function study(seed: number, n = 50, k0 = 4) {
  const { ids, abilities } = simulatedEssays(n, seed, 2);
  const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: k0, seed });
  return { ids, abilities, pairs, judgements: simulateJudgements(pairs, abilities, seed + 1) };
}

function netBalance(pairs: readonly Pair[]): Map<string, number> {
  const net = new Map<string, number>();
  for (const p of pairs) {
    net.set(p.essay_a, (net.get(p.essay_a) ?? 0) + 1);
    net.set(p.essay_b, (net.get(p.essay_b) ?? 0) - 1);
  }
  return net;
}

describe('selectAdaptivePairs', () => {
  it.each([3, 8, 21])('seed %i: new pairs only, round size, A/B balance kept over several rounds', (seed) => {
    const { ids, abilities, ...start } = study(seed);
    let { pairs, judgements } = start;
    for (let round = 0; round < 5; round++) {
      const next = selectAdaptivePairs({
        essayIds: ids,
        previousPairs: pairs,
        judgements,
        comparisonsPerEssay: 2,
        maxComparisonsPerEssay: 30,
        seed: seed + round,
      });
      expect(next).toHaveLength(ids.length); // round(n * 2 / 2)
      const before = new Set(pairs.map(key));
      expect(next.every((p) => !before.has(key(p)))).toBe(true);
      expect(new Set(next.map(key)).size).toBe(next.length);
      expect(next.map((p) => p.pair_index)).toEqual(
        Array.from({ length: next.length }, (_, i) => pairs.length + i),
      );
      pairs = [...pairs, ...next];
      judgements = [...judgements, ...simulateJudgements(next, abilities, seed * 13 + round)];
      for (const [, net] of netBalance(pairs)) expect(Math.abs(net)).toBeLessThanOrEqual(2);
    }
  });

  it('chooses close pairs: their fitted gaps are far below those of the balanced design', () => {
    const { ids, pairs, judgements } = study(5, 60);
    const fit = fitBradleyTerry(ids, judgements, { ridge: 0.01 });
    const score = new Map(fit.scores.map((s) => [s.essay_id, s.score]));
    const gap = (ps: readonly Pair[]) =>
      ps.reduce((sum, p) => sum + Math.abs(score.get(p.essay_a)! - score.get(p.essay_b)!), 0) / ps.length;
    const next = selectAdaptivePairs({
      essayIds: ids,
      previousPairs: pairs,
      judgements,
      comparisonsPerEssay: 2,
      maxComparisonsPerEssay: 30,
      seed: 1,
    });
    expect(gap(next)).toBeLessThan(0.4 * gap(pairs));
  });

  it('respects the per-essay cap and runs out of new pairs instead of repeating', () => {
    const ids = ['a', 'b', 'c', 'd'];
    let pairs: Pair[] = generatePairs({ essayIds: ids, comparisonsPerEssay: 2, seed: 1 });
    const judgements = simulateJudgements(pairs, new Map(ids.map((id, i) => [id, i])), 2);
    const capped = selectAdaptivePairs({
      essayIds: ids,
      previousPairs: pairs,
      judgements,
      comparisonsPerEssay: 4,
      maxComparisonsPerEssay: 2,
      seed: 3,
    });
    expect(capped).toEqual([]);
    const rest = selectAdaptivePairs({
      essayIds: ids,
      previousPairs: pairs,
      judgements,
      comparisonsPerEssay: 4,
      maxComparisonsPerEssay: 10,
      seed: 3,
    });
    expect(rest).toHaveLength(2); // 6 possible pairs, 4 used
    pairs = [...pairs, ...rest];
    expect(new Set(pairs.map(key)).size).toBe(6);
  });

  it('is deterministic for a seed and rejects bad options with typed errors', () => {
    const { ids, pairs, judgements } = study(9, 20);
    const options = {
      essayIds: ids,
      previousPairs: pairs,
      judgements,
      comparisonsPerEssay: 1,
      maxComparisonsPerEssay: 10,
      seed: 4,
    };
    expect(selectAdaptivePairs(options)).toEqual(selectAdaptivePairs(options));
    expect(() => selectAdaptivePairs({ ...options, comparisonsPerEssay: 0 })).toThrow(CjScoringError);
    expect(() => selectAdaptivePairs({ ...options, maxComparisonsPerEssay: 1.5 })).toThrow(CjScoringError);
    expect(() => selectAdaptivePairs({ ...options, seed: Number.NaN })).toThrow(CjScoringError);
  });

  it('gives the new comparisons to the essays with few comparisons (large SE) first', () => {
    const { ids, abilities } = simulatedEssays(60, 31, 2);
    const sparse = new Set(ids.slice(30));
    // Every essay in 2 comparisons, the first 30 in 6 more among themselves.
    const base = generatePairs({ essayIds: ids, comparisonsPerEssay: 2, seed: 1 });
    const dense = generatePairs({ essayIds: ids.slice(0, 30), comparisonsPerEssay: 6, seed: 2 }).map(
      (p, i) => ({
        ...p,
        pair_index: base.length + i,
      }),
    );
    const pairs = [...base, ...dense];
    const next = selectAdaptivePairs({
      essayIds: ids,
      previousPairs: pairs,
      judgements: simulateJudgements(pairs, abilities, 3),
      comparisonsPerEssay: 1,
      maxComparisonsPerEssay: 30,
      seed: 4,
    });
    const count = (inSparse: boolean) =>
      next.flatMap((p) => [p.essay_a, p.essay_b]).filter((id) => sparse.has(id) === inSparse).length;
    expect(next).toHaveLength(30);
    expect(count(true)).toBeGreaterThan(2 * count(false));
  });

  it('ranks better than a balanced design of the same size: 5 seeds, 40 essays, 2 + 4 rounds of 1 per essay', () => {
    const gains: number[] = [];
    for (const seed of [11, 12, 13, 14, 15]) {
      const { ids, abilities } = simulatedEssays(40, seed, 2);
      const truth = ids.map((id) => abilities.get(id)!);
      const rho = (judgements: Judgement[]) => {
        const score = new Map(
          fitBradleyTerry(ids, judgements, { ridge: 0.01 }).scores.map((s) => [s.essay_id, s.score]),
        );
        return spearman(
          ids.map((id) => score.get(id)!),
          truth,
        );
      };
      let pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 2, seed });
      let judgements = simulateJudgements(pairs, abilities, seed + 1);
      for (let round = 0; round < 4; round++) {
        const next = selectAdaptivePairs({
          essayIds: ids,
          previousPairs: pairs,
          judgements,
          comparisonsPerEssay: 1,
          maxComparisonsPerEssay: 20,
          seed: seed * 10 + round,
        });
        pairs = [...pairs, ...next];
        judgements = [...judgements, ...simulateJudgements(next, abilities, seed * 100 + round)];
      }
      const balanced = generatePairs({ essayIds: ids, comparisonsPerEssay: 6, seed: seed + 7 });
      gains.push(rho(judgements) - rho(simulateJudgements(balanced, abilities, seed + 2)));
    }
    expect(gains.reduce((a, b) => a + b, 0) / gains.length).toBeGreaterThan(0.01);
  });

  it(`above ${DISCORDANCE_MAX_ESSAYS} essays falls back to the closest-pair rule, same guarantees`, () => {
    const { ids, abilities } = simulatedEssays(DISCORDANCE_MAX_ESSAYS + 20, 41, 2);
    const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 2, seed: 5 });
    const next = selectAdaptivePairs({
      essayIds: ids,
      previousPairs: pairs,
      judgements: simulateJudgements(pairs, abilities, 6),
      comparisonsPerEssay: 1,
      maxComparisonsPerEssay: 10,
      seed: 7,
    });
    expect(next).toHaveLength(ids.length / 2);
    const before = new Set(pairs.map(key));
    expect(next.every((p) => !before.has(key(p)))).toBe(true);
    expect(new Set(next.map(key)).size).toBe(next.length);
    for (const [, net] of netBalance([...pairs, ...next])) expect(Math.abs(net)).toBeLessThanOrEqual(2);
  });
});
