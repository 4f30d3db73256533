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
/** Largest |#A - #B| an essay may reach through adaptive rounds. */
const BALANCE = 2;

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
 * Positions keep each essay's running #A - #B within ±2: the essay with the lower balance takes A, and a pair whose
 * two essays are both two up (or both two down) is passed over.
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
  /** [A, B] per chosen pair. */
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
      // Both already two up (or two down) on A: one of them would end at ±3. Skipping such pairs keeps every
      // running #A - #B within ±2, since the lower one always takes A. (Within ±1 passes over a quarter of the
      // best pairs and cost a third of the saving in the adaptive bench; the position effect is in the model.)
      if (Math.min(net[c.a], net[c.b]) >= BALANCE || Math.max(net[c.a], net[c.b]) <= -BALANCE) continue;
      chosen.add(edgeKey(c.a, c.b, n));
      inRound[c.a]++;
      inRound[c.b]++;
      const aFirst = net[c.a] < net[c.b] || (net[c.a] === net[c.b] && c.tie < 0.5);
      const [first, second] = aFirst ? [c.a, c.b] : [c.b, c.a];
      net[first]++;
      net[second]--;
      edges.push([first, second]);
    }
  }

  const oriented = edges;
  const shuffled = rng.shuffle(Int32Array.from({ length: oriented.length }, (_, i) => i));
  return Array.from(shuffled, (e, position) => ({
    pair_index: nextIndex + position,
    essay_a: essayIds[oriented[e][0]],
    essay_b: essayIds[oriented[e][1]],
  }));
}
