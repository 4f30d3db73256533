import { CjScoringError } from '../errors/cj-scoring-error.js';
import { indexEssays } from '../bt/comparison-table.js';
import { fitBradleyTerry } from '../bt/fit-bradley-terry.js';
import { Mulberry32 } from '../random/mulberry32.js';
import type { AdaptiveRoundOptions, Pair } from '../types.js';
import { edgeKey } from './edge-list.js';

/** Neighbours (in current score order) on each side an essay is considered against, per comparison asked. */
const WINDOW_PER_COMPARISON = 3;
const MIN_WINDOW = 6;
export const DEFAULT_SELECTION_RIDGE = 0.01;

interface Candidate {
  a: number;
  b: number;
  /** Fisher information of one judgement of the pair at the current fit, p (1 - p). */
  information: number;
  /** SE_a^2 + SE_b^2: among equally informative pairs, the less certain first. */
  uncertainty: number;
  tie: number;
}

function validate(options: AdaptiveRoundOptions): void {
  const { comparisonsPerEssay: k, maxComparisonsPerEssay: cap, seed } = options;
  if (!(typeof k === 'number' && Number.isFinite(k) && k > 0)) {
    throw new CjScoringError('INVALID_COMPARISONS_PER_ESSAY', 'comparisonsPerEssay must be a number > 0', {
      comparisons_per_essay: k,
    });
  }
  if (!(Number.isInteger(cap) && cap >= 1)) {
    throw new CjScoringError(
      'INVALID_COMPARISONS_PER_ESSAY',
      'maxComparisonsPerEssay must be a whole number >= 1',
      { max_comparisons_per_essay: cap },
    );
  }
  if (!Number.isSafeInteger(seed)) {
    throw new CjScoringError('INVALID_SEED', 'seed must be a safe integer', { seed });
  }
}

/**
 * One adaptive round: the most informative NEW pairs given the current fit (of `judgements`, with a moderate
 * prior). A pair's value is the Fisher information of one judgement of it, w = p (1 - p) at the fitted
 * p = P(a beats b) — the closest pairs first (as Liusie et al. 2024 choose by information) — and, among equally
 * informative pairs, the less certain (larger SE_a^2 + SE_b^2) first. (Weighting by the uncertainty, e.g. by the
 * expected drop in Var(theta_a - theta_b), measured slightly worse in the adaptive bench.) Candidates are each
 * essay's neighbours in score order; pairs are
 * taken greedily, best first, within the round size (round(n * comparisonsPerEssay / 2)), at most
 * 2 * ceil(comparisonsPerEssay) new comparisons per essay in the round, never above `maxComparisonsPerEssay` in
 * total, and never a pair the design already has (so a round may come out smaller when few new pairs are left).
 * Positions are then assigned so each essay's running #A - #B stays within ±1 (see orientForBalance).
 * Pair indexes continue after the largest previous one. Deterministic for a seed.
 */
export function selectAdaptivePairs(options: AdaptiveRoundOptions): Pair[] {
  validate(options);
  const { essayIds, previousPairs, comparisonsPerEssay, maxComparisonsPerEssay, seed } = options;
  const index = indexEssays(essayIds);
  const fit = fitBradleyTerry(essayIds, options.judgements, {
    ridge: options.ridge ?? DEFAULT_SELECTION_RIDGE,
  });
  const n = essayIds.length;
  const rng = new Mulberry32(seed);

  const theta = new Float64Array(n);
  const variance = new Float64Array(n).fill(1);
  for (const s of fit.scores) {
    const i = index.get(s.essay_id);
    if (i === undefined) continue;
    theta[i] = s.score;
    // An essay without an SE (SEs off, or never compared) counts as very uncertain.
    variance[i] = s.se === null ? 4 : s.se * s.se;
  }
  const used = new Set<number>();
  const total = new Int32Array(n);
  const net = new Int32Array(n);
  let nextIndex = 0;
  for (const p of previousPairs) {
    const a = index.get(p.essay_a);
    const b = index.get(p.essay_b);
    if (a === undefined || b === undefined) {
      throw new CjScoringError('UNKNOWN_ESSAY', `previous pair ${p.pair_index} names an unknown essay`, {
        index: p.pair_index,
      });
    }
    used.add(edgeKey(a, b, n));
    total[a]++;
    total[b]++;
    net[a]++;
    net[b]--;
    nextIndex = Math.max(nextIndex, p.pair_index + 1);
  }

  const roundSize = Math.round((n * comparisonsPerEssay) / 2);
  const perEssayRound = 2 * Math.ceil(comparisonsPerEssay);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => theta[x] - theta[y] || x - y);
  const inRound = new Int32Array(n);
  const edges: Array<[number, number]> = [];
  const chosen = new Set<number>();
  const room = (i: number) => inRound[i] < perEssayRound && total[i] + inRound[i] < maxComparisonsPerEssay;

  const window = Math.max(MIN_WINDOW, Math.ceil(WINDOW_PER_COMPARISON * comparisonsPerEssay));
  // Second pass with a wider window fills what the near neighbours could not (repeats, caps).
  for (const width of [window, 4 * window]) {
    if (edges.length >= roundSize) break;
    const candidates: Candidate[] = [];
    for (let r = 0; r < n; r++) {
      for (let s = r + 1; s <= Math.min(n - 1, r + width); s++) {
        const a = order[r];
        const b = order[s];
        const key = edgeKey(a, b, n);
        if (used.has(key) || chosen.has(key)) continue;
        const p = 1 / (1 + Math.exp(theta[a] - theta[b]));
        candidates.push({
          a,
          b,
          information: p * (1 - p),
          uncertainty: variance[a] + variance[b],
          tie: rng.nextFloat(),
        });
      }
    }
    candidates.sort(
      (x, y) => y.information - x.information || y.uncertainty - x.uncertainty || x.tie - y.tie,
    );
    for (const c of candidates) {
      if (edges.length >= roundSize) break;
      if (!room(c.a) || !room(c.b)) continue;
      chosen.add(edgeKey(c.a, c.b, n));
      inRound[c.a]++;
      inRound[c.b]++;
      edges.push([c.a, c.b]);
    }
  }

  const oriented = orientForBalance(n, edges, net, rng);
  const shuffled = rng.shuffle(Int32Array.from({ length: oriented.length }, (_, i) => i));
  return Array.from(shuffled, (e, position) => ({
    pair_index: nextIndex + position,
    essay_a: essayIds[oriented[e][0]],
    essay_b: essayIds[oriented[e][1]],
  }));
}

/**
 * Orients new edges [a, b] (a = position A) so that every essay's running balance net = #A - #B ends within ±1
 * where the graph allows it: greedily give A to the endpoint with the lower balance, then repair any essay at ±2 or
 * beyond by reversing a path of new edges to an essay with room on the other side (each reversal moves the two
 * ends by 2 and leaves the essays on the path unchanged). `net` is updated in place.
 */
export function orientForBalance(
  n: number,
  edges: ReadonlyArray<readonly [number, number]>,
  net: Int32Array,
  rng: Mulberry32,
): Array<[number, number]> {
  const oriented: Array<[number, number]> = edges.map(([x, y]) => {
    const xFirst = net[x] < net[y] || (net[x] === net[y] && rng.nextInt(2) === 0);
    const [a, b] = xFirst ? [x, y] : [y, x];
    net[a]++;
    net[b]--;
    return [a, b];
  });
  const incident: number[][] = Array.from({ length: n }, () => []);
  oriented.forEach(([a, b], e) => {
    incident[a].push(e);
    incident[b].push(e);
  });
  // Each successful repair lowers sum(max(0, |net| - 1)) by at least 1; the bound only guards the loop.
  for (let guard = 0; guard < 4 * oriented.length + 4; guard++) {
    const start = net.findIndex((v) => Math.abs(v) >= 2);
    if (start < 0) break;
    if (!reversePath(start, oriented, incident, net)) {
      // No path from this essay: leave it (the graph does not allow better) and try the others.
      const rest = net.findIndex((v, i) => i !== start && Math.abs(v) >= 2);
      if (rest < 0 || !reversePath(rest, oriented, incident, net)) break;
    }
  }
  return oriented;
}

/**
 * From an essay with net >= 2 follow edges in their direction (A -> B) to an essay with net <= -1 (or, for
 * net <= -2, against it to one with net >= 1) and reverse that path. Breadth-first, so paths are short.
 */
function reversePath(
  start: number,
  oriented: Array<[number, number]>,
  incident: number[][],
  net: Int32Array,
): boolean {
  const forward = net[start] > 0;
  const via = new Map<number, number>([[start, -1]]);
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head];
    for (const e of incident[at]) {
      const [a, b] = oriented[e];
      const from = forward ? a : b;
      const to = forward ? b : a;
      if (from !== at || via.has(to)) continue;
      via.set(to, e);
      if (forward ? net[to] <= -1 : net[to] >= 1) {
        for (let v = to; v !== start;) {
          const edge = via.get(v)!;
          const [x, y] = oriented[edge];
          oriented[edge] = [y, x];
          v = v === y ? x : y;
        }
        net[start] += forward ? -2 : 2;
        net[to] += forward ? 2 : -2;
        return true;
      }
      queue.push(to);
    }
  }
  return false;
}
