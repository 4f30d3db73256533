import { CjScoringError } from '../errors/cj-scoring-error.js';
import { indexEssays } from '../bt/comparison-table.js';
import { fitBradleyTerry } from '../bt/fit-bradley-terry.js';
import { Mulberry32 } from '../random/mulberry32.js';
import type { AdaptiveRoundOptions, Judgement, Pair } from '../types.js';
import { edgeKey } from './edge-list.js';

/** Neighbours (in current score order) on each side an essay is considered against, per comparison asked. */
const WINDOW_PER_COMPARISON = 3;
const MIN_WINDOW = 6;
/**
 * Ridge of the selection fit: a N(0, 5) prior (SD ~2.2 logits). The fit a round is chosen from is sparse (each of the
 * two chains sees only its own judgements, 1-4 per essay early on); a firmer prior than the scoring fit's keeps essays
 * that won or lost everything near the middle of the scale with a large variance, which is what the selection needs.
 * (Measured in the adaptive bench: 0.1 beat 0.01 and 0.025; 0.25 was worse.)
 */
export const DEFAULT_SELECTION_RIDGE = 0.1;
/**
 * Up to this many essays a round is chosen by the expected drop in misordered pairs, from the full posterior
 * covariance (O(n^3) per round: ~0.1 s at 400 essays); above it by the closest-pair information rule (O(n k)).
 */
export const DISCORDANCE_MAX_ESSAYS = 400;
/** Candidate opponents per essay for the discordance rule: this many neighbours on each side in score order. */
const DISCORDANCE_WINDOW = 60;
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
 * One adaptive round: the most informative NEW pairs given the current fit of `judgements` (ridge 0.1, a
 * N(0, 5) prior, so sparse data give usable scores and variances). Deterministic for a seed.
 *
 * Up to DISCORDANCE_MAX_ESSAYS essays, pairs are picked greedily by the expected reduction of the number of
 * misordered essay pairs — what a rank correlation with the true order counts — not of the score variance: with
 * Sigma the posterior covariance (inverse of the judgements' Fisher information plus the prior), every pair of
 * essays (i, j) whose order is uncertain gets a weight g_ij = d P(misordered) / d Var(theta_i - theta_j), averaged
 * over the current uncertainty of their gap (closed form, largest for close, uncertain pairs); a new judgement of
 * (a, b) with expected Fisher information w = E[p (1 - p)] (p over the posterior of theta_a - theta_b) lowers
 * Var(theta_i - theta_j) by w ((Sigma u)_i - (Sigma u)_j)^2 / (1 + w u'Sigma u), u = e_a - e_b, so its value is
 * w u'(Sigma L_g Sigma)u / (1 + w u'Sigma u) with L_g the Laplacian of g. After each pick Sigma is updated as if the
 * pair were judged (Sherman-Morrison), so a round spreads over the essays instead of piling onto one region.
 * Compared with "the closest pairs first" this also favours essays with few comparisons or a large SE and pairs a
 * little further apart that link regions of the scale; the adaptive bench measured it (README). Above
 * DISCORDANCE_MAX_ESSAYS: the closest pairs by p (1 - p), ties to the larger SE_a^2 + SE_b^2.
 *
 * Candidates are each essay's neighbours in current score order; round size round(n * comparisonsPerEssay / 2), at
 * most 2 * ceil(comparisonsPerEssay) new comparisons per essay in the round, never above `maxComparisonsPerEssay` in
 * total, never a pair the design already has (a round may come out smaller when few new pairs are left).
 * Positions keep each essay's running #A - #B within ±2: the essay with the lower balance takes A, and a pair whose
 * two essays are both two up (or both two down) is passed over. Pair indexes continue after the largest previous one.
 */
export function selectAdaptivePairs(options: AdaptiveRoundOptions): Pair[] {
  validate(options);
  const { essayIds, previousPairs, comparisonsPerEssay, maxComparisonsPerEssay, seed } = options;
  const index = indexEssays(essayIds);
  const ridge = options.ridge ?? DEFAULT_SELECTION_RIDGE;
  const n = essayIds.length;
  const useDiscordance = n <= DISCORDANCE_MAX_ESSAYS;
  const fit = fitBradleyTerry(essayIds, options.judgements, {
    ridge,
    standardErrors: useDiscordance ? 'none' : 'auto',
  });
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
  const state = designState(essayIds, index, previousPairs);
  const { net } = state;

  const roundSize = Math.round((n * comparisonsPerEssay) / 2);
  const perEssayRound = 2 * Math.ceil(comparisonsPerEssay);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => theta[x] - theta[y] || x - y);
  const inRound = new Int32Array(n);
  /** [A, B] per chosen pair. */
  const edges: Array<[number, number]> = [];
  const chosen = new Set<number>();
  const fits = (a: number, b: number) =>
    inRound[a] < perEssayRound &&
    inRound[b] < perEssayRound &&
    state.total[a] + inRound[a] < maxComparisonsPerEssay &&
    state.total[b] + inRound[b] < maxComparisonsPerEssay &&
    // Both already two up (or two down) on A: one of them would end at ±3. Skipping such pairs keeps every
    // running #A - #B within ±2, since the lower one always takes A. (Within ±1 passed over a quarter of the
    // best pairs and cost a third of the saving in the adaptive bench; the position effect is in the model.)
    Math.min(net[a], net[b]) < BALANCE &&
    Math.max(net[a], net[b]) > -BALANCE;
  const take = (a: number, b: number, tie: number) => {
    chosen.add(edgeKey(a, b, n));
    inRound[a]++;
    inRound[b]++;
    const aFirst = net[a] < net[b] || (net[a] === net[b] && tie < 0.5);
    const [first, second] = aFirst ? [a, b] : [b, a];
    net[first]++;
    net[second]--;
    edges.push([first, second]);
  };
  const candidatesWithin = (width: number): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (let r = 0; r < n; r++) {
      for (let s = r + 1; s <= Math.min(n - 1, r + width); s++) {
        const key = edgeKey(order[r], order[s], n);
        if (!state.used.has(key) && !chosen.has(key)) out.push([order[r], order[s]]);
      }
    }
    return out;
  };

  if (useDiscordance) {
    const eta = fit.position_effect?.estimate ?? 0;
    const covariance = posteriorCovariance(n, index, options.judgements, theta, eta, 2 * ridge);
    discordanceRound(n, theta, covariance, candidatesWithin(DISCORDANCE_WINDOW), roundSize, fits, take, rng);
  }
  const window = Math.max(MIN_WINDOW, Math.ceil(WINDOW_PER_COMPARISON * comparisonsPerEssay));
  // The information rule; also fills what the discordance rule left (its window exhausted by repeats or caps),
  // and its second pass with a wider window fills what the near neighbours could not.
  for (const width of [window, 4 * window]) {
    if (edges.length >= roundSize) break;
    const candidates: Candidate[] = candidatesWithin(width).map(([a, b]) => {
      const p = 1 / (1 + Math.exp(theta[a] - theta[b]));
      return {
        a,
        b,
        information: p * (1 - p),
        uncertainty: variance[a] + variance[b],
        tie: rng.nextFloat(),
      };
    });
    candidates.sort(
      (x, y) => y.information - x.information || y.uncertainty - x.uncertainty || x.tie - y.tie,
    );
    for (const c of candidates) {
      if (edges.length >= roundSize) break;
      if (chosen.has(edgeKey(c.a, c.b, n)) || !fits(c.a, c.b)) continue;
      take(c.a, c.b, c.tie);
    }
  }

  const shuffled = rng.shuffle(Int32Array.from({ length: edges.length }, (_, i) => i));
  return Array.from(shuffled, (e, position) => ({
    pair_index: state.nextIndex + position,
    essay_a: essayIds[edges[e][0]],
    essay_b: essayIds[edges[e][1]],
  }));
}

function designState(
  essayIds: readonly string[],
  index: ReadonlyMap<string, number>,
  previousPairs: readonly Pair[],
) {
  const n = essayIds.length;
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
  return { used, total, net, nextIndex };
}

/** (Fisher information of the judgements at the fit + prior precision)^-1, dense row-major n x n. */
function posteriorCovariance(
  n: number,
  index: ReadonlyMap<string, number>,
  judgements: readonly Judgement[],
  theta: Float64Array,
  eta: number,
  priorPrecision: number,
): Float64Array {
  const information = new Float64Array(n * n);
  for (let i = 0; i < n; i++) information[i * n + i] = priorPrecision;
  for (const j of judgements) {
    const a = index.get(j.essay_a);
    const b = index.get(j.essay_b);
    if (a === undefined || b === undefined || a === b) continue;
    const p = 1 / (1 + Math.exp(-(theta[a] - theta[b] + eta)));
    const w = p * (1 - p);
    information[a * n + a] += w;
    information[b * n + b] += w;
    information[a * n + b] -= w;
    information[b * n + a] -= w;
  }
  return invertSymmetricPositiveDefinite(information, n);
}

/**
 * Greedy discordance rule (see selectAdaptivePairs): picks up to `roundSize` pairs from `candidates`, updating the
 * covariance after each pick with the pair's expected information.
 */
function discordanceRound(
  n: number,
  theta: Float64Array,
  sigma: Float64Array,
  candidates: ReadonlyArray<[number, number]>,
  roundSize: number,
  fits: (a: number, b: number) => boolean,
  take: (a: number, b: number, tie: number) => void,
  rng: Mulberry32,
): void {
  // Laplacian of the misordering weights g_ij, then M = Sigma L Sigma.
  const laplacian = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = Math.max(1e-12, sigma[i * n + i] + sigma[j * n + j] - 2 * sigma[i * n + j]);
      const g = misorderWeight(Math.abs(theta[i] - theta[j]) / Math.sqrt(v), v);
      laplacian[i * n + j] -= g;
      laplacian[j * n + i] -= g;
      laplacian[i * n + i] += g;
      laplacian[j * n + j] += g;
    }
  }
  const m = multiply(sigma, multiply(laplacian, sigma, n), n);
  const taken = new Uint8Array(candidates.length);
  const tie = Float64Array.from(candidates, () => rng.nextFloat());
  const u = new Float64Array(n);
  const lu = new Float64Array(n);
  const q = new Float64Array(n);
  for (let picked = 0; picked < roundSize; picked++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let c = 0; c < candidates.length; c++) {
      if (taken[c]) continue;
      const [a, b] = candidates[c];
      if (!fits(a, b)) continue;
      const v = sigma[a * n + a] + sigma[b * n + b] - 2 * sigma[a * n + b];
      const w = expectedInformation(theta[a] - theta[b], v);
      const value = (w * (m[a * n + a] + m[b * n + b] - 2 * m[a * n + b])) / (1 + w * v);
      if (value > bestValue || (value === bestValue && tie[c] < tie[best])) {
        bestValue = value;
        best = c;
      }
    }
    if (best < 0) return;
    taken[best] = 1;
    const [a, b] = candidates[best];
    take(a, b, tie[best]);
    // Sherman-Morrison: Sigma' = Sigma - f s s', s = Sigma u; M' = Sigma' L Sigma'.
    const v = sigma[a * n + a] + sigma[b * n + b] - 2 * sigma[a * n + b];
    const w = expectedInformation(theta[a] - theta[b], v);
    const f = w / (1 + w * v);
    for (let k = 0; k < n; k++) u[k] = sigma[k * n + a] - sigma[k * n + b];
    let c2 = 0;
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let k = 0; k < n; k++) x += laplacian[i * n + k] * u[k];
      lu[i] = x;
      c2 += u[i] * x;
    }
    for (let i = 0; i < n; i++) {
      let x = 0;
      for (let k = 0; k < n; k++) x += sigma[i * n + k] * lu[k];
      q[i] = x;
    }
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        m[i * n + k] += -f * (u[i] * q[k] + q[i] * u[k]) + f * f * c2 * u[i] * u[k];
        sigma[i * n + k] -= f * u[i] * u[k];
      }
    }
  }
}

/**
 * d E[P(misordered)] / d Var for a pair of essays whose estimated gap is z standard deviations (sd^2 = v): the
 * expectation over the true gap ~ N(estimate, v) of phi(|gap| / sd) |gap| / (2 sd^3), in closed form.
 */
function misorderWeight(z: number, v: number): number {
  const e = Math.exp(-(z * z) / 4);
  return (e * (e + (z / 2) * Math.sqrt(Math.PI) * erf(z / 2))) / (4 * Math.PI * v);
}

const HERMITE_NODES = [-2.0201828704560856, -0.9585724646138185, 0, 0.9585724646138185, 2.0201828704560856];
const HERMITE_WEIGHTS = [
  0.01995324205904591, 0.3936193231522412, 0.9453087204829419, 0.3936193231522412, 0.01995324205904591,
];

/** E[p (1 - p)] for p = sigmoid(d), d ~ N(mean, variance): 5-point Gauss-Hermite. */
function expectedInformation(mean: number, variance: number): number {
  const scale = Math.sqrt(2 * Math.max(variance, 0));
  let sum = 0;
  for (let i = 0; i < HERMITE_NODES.length; i++) {
    const p = 1 / (1 + Math.exp(-(mean + scale * HERMITE_NODES[i])));
    sum += HERMITE_WEIGHTS[i] * p * (1 - p);
  }
  return sum / Math.sqrt(Math.PI);
}

/** Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const x = a[i * n + k];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += x * b[k * n + j];
    }
  }
  return c;
}

/** Cholesky inverse of a symmetric positive definite matrix (the prior makes the information matrix one). */
function invertSymmetricPositiveDefinite(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    const ljj = Math.sqrt(Math.max(d, 1e-300));
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  // inv(L) by forward substitution, then inv(A) = inv(L)' inv(L).
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    li[c * n + c] = 1 / l[c * n + c];
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * li[k * n + c];
      li[i * n + c] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}
