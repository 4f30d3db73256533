import { Mulberry32 } from '../random/mulberry32.js';
import type { Judgement, Pair } from '../types.js';

/**
 * Simulated judges for tests and benchmarks: essay_a wins with the Bradley-Terry probability
 * sigmoid(ability_a - ability_b + positionBias). Deterministic for a seed.
 */
export function simulateJudgements(
  pairs: readonly Pair[],
  abilities: ReadonlyMap<string, number>,
  seed: number,
  positionBias = 0,
): Judgement[] {
  const rng = new Mulberry32(seed);
  return pairs.map(({ essay_a, essay_b }) => {
    const d = (abilities.get(essay_a) ?? 0) - (abilities.get(essay_b) ?? 0) + positionBias;
    const aWins = rng.nextFloat() < 1 / (1 + Math.exp(-d));
    return { essay_a, essay_b, winner: aWins ? 'Essay A' : 'Essay B' };
  });
}

/** Essay ids `essay-0001`… and seeded N(0, sd^2) true abilities. */
export function simulatedEssays(
  count: number,
  seed: number,
  sd = 1,
): { ids: string[]; abilities: Map<string, number> } {
  const rng = new Mulberry32(seed);
  const width = String(count).length;
  const ids = Array.from({ length: count }, (_, i) => `essay-${String(i + 1).padStart(width, '0')}`);
  return { ids, abilities: new Map(ids.map((id) => [id, sd * rng.nextNormal()])) };
}
