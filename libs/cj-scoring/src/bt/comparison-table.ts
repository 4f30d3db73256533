import { CjScoringError } from '../errors/cj-scoring-error.js';
import type { Judgement } from '../types.js';

/**
 * Judgements aggregated per ORDERED pair (first = the essay shown as 'Essay A', second = 'Essay B'), sorted by
 * pair. Keeping the order lets the fit estimate the position effect; a pair judged in both orders is two entries
 * (the information and the likelihood simply add up). Aggregating and sorting makes every later computation
 * independent of the order the judgements arrived in (bit for bit).
 */
export interface ComparisonTable {
  essayCount: number;
  pairCount: number;
  first: Int32Array;
  second: Int32Array;
  /** Judgements of the pair. */
  total: Float64Array;
  /** Judgements the `first` essay (position A) won. */
  firstWins: Float64Array;
  wins: Float64Array;
  comparisons: Float64Array;
  /** Judgements won by the essay in position A. */
  aWins: number;
  judgementCount: number;
}

export function indexEssays(essayIds: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  essayIds.forEach((id, i) => {
    if (typeof id !== 'string' || id.length === 0) {
      throw new CjScoringError('INVALID_ESSAY_ID', `essay id at index ${i} must be a non-empty string`, {
        index: i,
      });
    }
    if (index.has(id)) {
      throw new CjScoringError('DUPLICATE_ESSAY_ID', `duplicate essay id at index ${i}`, {
        index: i,
        essay_id: id,
      });
    }
    index.set(id, i);
  });
  return index;
}

function lookup(index: Map<string, number>, id: unknown, j: number, field: string): number {
  const found = typeof id === 'string' ? index.get(id) : undefined;
  if (found === undefined) {
    throw new CjScoringError('UNKNOWN_ESSAY', `judgement ${j}: ${field} is not one of the essay ids`, {
      index: j,
      field,
    });
  }
  return found;
}

export function buildComparisonTable(
  essayIndex: Map<string, number>,
  judgements: readonly Judgement[],
): ComparisonTable {
  const n = essayIndex.size;
  const count = judgements.length;
  // key = (a * n + b) * 2 + (a won ? 1 : 0): one numeric sort groups an ordered pair's judgements and outcomes.
  const keys = new Float64Array(count);
  let aWins = 0;
  for (let j = 0; j < count; j++) {
    const judgement: unknown = judgements[j];
    if (typeof judgement !== 'object' || judgement === null) {
      throw new CjScoringError('INVALID_JUDGEMENT', `judgement ${j} is not an object`, { index: j });
    }
    const { essay_a, essay_b, winner } = judgement as Judgement;
    const a = lookup(essayIndex, essay_a, j, 'essay_a');
    const b = lookup(essayIndex, essay_b, j, 'essay_b');
    if (a === b) {
      throw new CjScoringError(
        'INVALID_JUDGEMENT',
        `judgement ${j}: essay_a and essay_b are the same essay`,
        {
          index: j,
          field: 'essay_b',
        },
      );
    }
    if (winner !== 'Essay A' && winner !== 'Essay B') {
      throw new CjScoringError('INVALID_JUDGEMENT', `judgement ${j}: winner must be 'Essay A' or 'Essay B'`, {
        index: j,
        field: 'winner',
      });
    }
    if (winner === 'Essay A') aWins++;
    keys[j] = (a * n + b) * 2 + (winner === 'Essay A' ? 1 : 0);
  }
  keys.sort();

  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const total = new Float64Array(count);
  const firstWins = new Float64Array(count);
  const wins = new Float64Array(n);
  const comparisons = new Float64Array(n);
  let pairs = 0;
  let previousPair = -1;
  for (let j = 0; j < count; j++) {
    const pairKey = Math.floor(keys[j] / 2);
    const aWon = keys[j] - pairKey * 2;
    if (pairKey !== previousPair) {
      first[pairs] = Math.floor(pairKey / n);
      second[pairs] = pairKey - first[pairs] * n;
      pairs++;
      previousPair = pairKey;
    }
    const p = pairs - 1;
    total[p]++;
    firstWins[p] += aWon;
    comparisons[first[p]]++;
    comparisons[second[p]]++;
    wins[aWon === 1 ? first[p] : second[p]]++;
  }
  return {
    essayCount: n,
    pairCount: pairs,
    first: first.slice(0, pairs),
    second: second.slice(0, pairs),
    total: total.slice(0, pairs),
    firstWins: firstWins.slice(0, pairs),
    wins,
    comparisons,
    aWins,
    judgementCount: count,
  };
}
