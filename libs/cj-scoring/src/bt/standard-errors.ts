import type { ComparisonTable } from './comparison-table.js';
import { centre, conjugateGradient } from './newton-fit.js';

/**
 * Standard errors in the sum-to-zero convention: the covariance is P (I_w + 2 ridge I)^-1 P, where I_w is the
 * Fisher information (weighted graph Laplacian, weights total * p * (1 - p) at the fitted scores) and
 * P = I - 11'/n the centring projection. For connected data and a tiny ridge this is the Moore-Penrose
 * pseudo-inverse of I_w to within O(ridge). Where the data leave a contrast unidentified (disconnected groups,
 * essays never compared), the ridge's prior variance 1/(2 ridge) shows up as a very large SE, which is the honest
 * answer: the data do not fix those differences.
 */
export function informationWeights(table: ComparisonTable, theta: Float64Array, eta = 0): Float64Array {
  const weights = new Float64Array(table.pairCount);
  for (let e = 0; e < table.pairCount; e++) {
    const p = 1 / (1 + Math.exp(theta[table.second[e]] - theta[table.first[e]] - eta));
    weights[e] = table.total[e] * p * (1 - p);
  }
  return weights;
}

/**
 * Exact: Cholesky of M = I_w + 2 ridge I + 11'/n (the 11'/n term lifts the near-null constant direction so M is
 * well conditioned), then diag(M^-1) by forward substitution, then remove the constant direction exactly:
 * P (I_w + 2 ridge I)^-1 P = M^-1 - 11' / (n (1 + 2 ridge)). O(n^3 / 3) time, O(n^2) memory.
 * Returns null when M is not positive definite (ridge 0 with unidentified contrasts).
 */
export function exactStandardErrors(
  table: ComparisonTable,
  weights: Float64Array,
  ridge: number,
): Float64Array | null {
  const n = table.essayCount;
  const m = new Float64Array(n * n).fill(1 / n);
  for (let i = 0; i < n; i++) m[i * n + i] += 2 * ridge;
  for (let e = 0; e < table.pairCount; e++) {
    const i = table.first[e];
    const j = table.second[e];
    const w = weights[e];
    m[i * n + i] += w;
    m[j * n + j] += w;
    m[i * n + j] -= w;
    m[j * n + i] -= w;
  }
  // Row-oriented Cholesky (lower triangle, row-major): inner loops are dot products of two contiguous rows.
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      let s = m[rowI + j];
      for (let k = 0; k < j; k++) s -= m[rowI + k] * m[rowJ + k];
      if (i === j) {
        if (!(s > 0)) return null;
        m[rowI + i] = Math.sqrt(s);
      } else {
        m[rowI + j] = s / m[rowJ + j];
      }
    }
  }
  // diag(M^-1)_j = || L^-1 e_j ||^2; L^-1 e_j is zero above j, so each solve starts at row j.
  const variances = new Float64Array(n);
  const y = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let sumSquares = 0;
    for (let k = j; k < n; k++) {
      const rowK = k * n;
      let s = k === j ? 1 : 0;
      for (let l = j; l < k; l++) s -= m[rowK + l] * y[l];
      y[k] = s / m[rowK + k];
      sumSquares += y[k] * y[k];
    }
    variances[j] = sumSquares;
  }
  const constantPart = 1 / (n * (1 + 2 * ridge));
  const se = new Float64Array(n);
  for (let i = 0; i < n; i++) se[i] = Math.sqrt(Math.max(0, variances[i] - constantPart));
  return se;
}

/** Gaussian belief-propagation sweeps for the approximate SEs; the recursion contracts fast for degree >= 3. */
const CAVITY_SWEEPS = 12;

/**
 * Approximate, O(pairs) per sweep: Gaussian belief propagation (cavity recursion) on the precision matrix
 * I_w + 2 ridge I. Var_i = 1 / (D_i - sum_j w_ij^2 / C_{j\i}), where C_{j\i} is j's precision with the edge to
 * i removed. It is exact on trees; on the sparse random graphs of a CJ design (few short cycles) it tracks the
 * exact sum-to-zero variances closely (the spec measures it against the exact method). It leaves out the O(1/n)
 * centring term and, with a fixed sweep count, under-states the huge variances of unidentified contrasts.
 */
export function approximateStandardErrors(
  table: ComparisonTable,
  weights: Float64Array,
  ridge: number,
): Float64Array {
  const n = table.essayCount;
  const m = table.pairCount;
  const precision = new Float64Array(n);
  for (let i = 0; i < n; i++) precision[i] = 2 * ridge;
  for (let e = 0; e < m; e++) {
    precision[table.first[e]] += weights[e];
    precision[table.second[e]] += weights[e];
  }
  // Messages are the (non-positive) precision corrections sent along each pair, in both directions.
  let toSecond = new Float64Array(m);
  let toFirst = new Float64Array(m);
  let nextToSecond = new Float64Array(m);
  let nextToFirst = new Float64Array(m);
  const incoming = new Float64Array(n);
  for (let sweep = 0; sweep < CAVITY_SWEEPS; sweep++) {
    incoming.fill(0);
    for (let e = 0; e < m; e++) {
      incoming[table.second[e]] += toSecond[e];
      incoming[table.first[e]] += toFirst[e];
    }
    for (let e = 0; e < m; e++) {
      const i = table.first[e];
      const j = table.second[e];
      const w2 = weights[e] * weights[e];
      const cavityI = precision[i] + incoming[i] - toFirst[e];
      const cavityJ = precision[j] + incoming[j] - toSecond[e];
      nextToSecond[e] = cavityI > 0 ? -w2 / cavityI : 0;
      nextToFirst[e] = cavityJ > 0 ? -w2 / cavityJ : 0;
    }
    [toSecond, nextToSecond] = [nextToSecond, toSecond];
    [toFirst, nextToFirst] = [nextToFirst, toFirst];
  }
  incoming.fill(0);
  for (let e = 0; e < m; e++) {
    incoming[table.second[e]] += toSecond[e];
    incoming[table.first[e]] += toFirst[e];
  }
  const se = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const marginal = precision[i] + incoming[i];
    se[i] = marginal > 0 ? 1 / Math.sqrt(marginal) : Number.POSITIVE_INFINITY;
  }
  return se;
}

/**
 * With a fitted position effect eta the information matrix gains a row and column: [[L, c], [c', s]] with
 * L = I_w + 2 ridge I, c_i = (weights where i was A) - (weights where i was B) and s = sum of weights + 2 ridge.
 * Block inversion gives Var(eta) = 1 / (s - c'L^-1 c) and adds (L^-1 c)_i^2 * Var(eta) to each score's variance
 * (c sums to zero, so L^-1 c is already centred and the sum-to-zero convention is kept). Returns the eta variance
 * and the coupling vector L^-1 c (solved by conjugate gradients to 1e-12); null when the Schur complement is not
 * positive (eta not identified).
 */
export function positionEffectCovariance(
  table: ComparisonTable,
  weights: Float64Array,
  ridge: number,
): { etaVariance: number; coupling: Float64Array } | null {
  const n = table.essayCount;
  const cross = new Float64Array(n);
  const diagonal = new Float64Array(n).fill(2 * ridge);
  let curvature = 2 * ridge;
  for (let e = 0; e < table.pairCount; e++) {
    const w = weights[e];
    cross[table.first[e]] += w;
    cross[table.second[e]] -= w;
    diagonal[table.first[e]] += w;
    diagonal[table.second[e]] += w;
    curvature += w;
  }
  centre(cross);
  const coupling = conjugateGradient(table, weights, diagonal, ridge, cross, 1e-12);
  centre(coupling);
  let quadratic = 0;
  for (let i = 0; i < n; i++) quadratic += cross[i] * coupling[i];
  const schur = curvature - quadratic;
  return schur > 0 ? { etaVariance: 1 / schur, coupling } : null;
}

/** Adds the position effect's share to sum-to-zero SEs: se_i^2 + coupling_i^2 * Var(eta), in place. */
export function widenForPositionEffect(
  se: Float64Array,
  coupling: Float64Array,
  etaVariance: number,
): Float64Array {
  for (let i = 0; i < se.length; i++) {
    se[i] = Math.sqrt(se[i] * se[i] + coupling[i] * coupling[i] * etaVariance);
  }
  return se;
}
