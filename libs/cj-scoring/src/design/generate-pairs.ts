import { CjScoringError } from '../errors/cj-scoring-error.js';
import { indexEssays } from '../bt/comparison-table.js';
import { Mulberry32 } from '../random/mulberry32.js';
import type { Pair, PairDesignOptions } from '../types.js';
import { balancedOrientation } from './balanced-orientation.js';
import { completeGraph, connectedNearRegularGraph } from './random-graph.js';
import type { EdgeList } from './edge-list.js';

function validate(options: PairDesignOptions): void {
  const { essayIds, comparisonsPerEssay: k, seed } = options;
  if (!Array.isArray(essayIds) || essayIds.length < 2) {
    throw new CjScoringError('TOO_FEW_ESSAYS', 'a pair design needs at least two essays', {
      essay_count: Array.isArray(essayIds) ? essayIds.length : 0,
    });
  }
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new CjScoringError(
      'INVALID_COMPARISONS_PER_ESSAY',
      'comparisonsPerEssay must be a whole number >= 1',
      {
        comparisons_per_essay: k,
      },
    );
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new CjScoringError('INVALID_SEED', 'seed must be a safe integer', { seed });
  }
}

/**
 * A balanced, non-adaptive comparative-judgement design (deterministic for a seed):
 * - every essay takes part in about `comparisonsPerEssay` (k) judgements: exactly k when n * k is even, one essay
 *   at k - 1 otherwise (k = 1 is a random path, degrees 1-2, the least that keeps the design connected);
 * - the comparison graph is connected and a random (expander-like) near-regular graph, not a ring of neighbours;
 * - each essay is shown first (A) and second (B) equally often, up to one;
 * - no pair is judged twice, unless `bothOrders`: then each chosen pair appears once as A/B and once as B/A and
 *   an essay meets about k / 2 distinct opponents, so it still takes part in about k judgements (k odd: k - 1);
 * - when k >= n - 1 distinct opponents are asked for (k >= 2(n - 1) with bothOrders), all pairs are used.
 * The returned list is in a seeded random order, pair_index 0..m-1.
 */
export function generatePairs(options: PairDesignOptions): Pair[] {
  validate(options);
  const { essayIds, comparisonsPerEssay, seed, bothOrders = false } = options;
  indexEssays(essayIds);
  const n = essayIds.length;
  const rng = new Mulberry32(seed);
  const opponents = bothOrders ? Math.max(1, Math.floor(comparisonsPerEssay / 2)) : comparisonsPerEssay;

  const graph: EdgeList | null =
    opponents >= n - 1 ? completeGraph(n) : connectedNearRegularGraph(n, opponents, rng);
  if (!graph) {
    throw new CjScoringError(
      'DESIGN_NOT_FOUND',
      `no connected design found for ${n} essays at ${opponents} opponents`,
      {
        essay_count: n,
        opponents,
      },
    );
  }
  return orderedPairs(n, shuffleEdges(graph, rng), bothOrders, rng).map(([a, b], index) => ({
    pair_index: index,
    essay_a: essayIds[a],
    essay_b: essayIds[b],
  }));
}

/** Random edge order, so the orientation walk does not simply follow how the graph was built. */
function shuffleEdges(graph: EdgeList, rng: Mulberry32): EdgeList {
  const order = rng.shuffle(Int32Array.from({ length: graph.u.length }, (_, i) => i));
  return { u: Array.from(order, (e) => graph.u[e]), v: Array.from(order, (e) => graph.v[e]) };
}

function orderedPairs(
  n: number,
  graph: EdgeList,
  bothOrders: boolean,
  rng: Mulberry32,
): Array<[number, number]> {
  const ordered: Array<[number, number]> = [];
  if (bothOrders) {
    for (let e = 0; e < graph.u.length; e++) {
      ordered.push([graph.u[e], graph.v[e]], [graph.v[e], graph.u[e]]);
    }
  } else {
    const { a, b } = balancedOrientation(n, graph);
    for (let e = 0; e < a.length; e++) ordered.push([a[e], b[e]]);
  }
  const permutation = rng.shuffle(Int32Array.from({ length: ordered.length }, (_, i) => i));
  return Array.from(permutation, (i) => ordered[i]);
}
