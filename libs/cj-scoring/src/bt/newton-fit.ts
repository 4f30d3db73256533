import type { ComparisonTable } from './comparison-table.js';

/**
 * Penalised maximum likelihood for Bradley-Terry by damped Newton steps:
 *   maximise  l(theta, eta) = sum_pairs [ aWins * d - total * softplus(d) ] - ridge * (sum(theta^2) + eta^2),
 *   d = theta_a - theta_b + eta   (a = the essay shown first; eta = the position effect, fixed at 0 when off).
 * The negative Hessian of the theta block is the weighted graph Laplacian (weights total * p * (1 - p)) plus
 * 2 * ridge * I, so each Newton system is solved by conjugate gradients with a Jacobi preconditioner, touching only
 * the sparse pairs. With the position effect the system gains one row and column (the cross terms c and the eta
 * curvature s), solved by block elimination: two CG solves with the Laplacian and a scalar Schur complement.
 */
export interface NewtonFitOptions {
  ridge: number;
  maxIterations: number;
  tolerance: number;
  /** Fit eta, the log-odds bonus of the first-shown essay (the "home advantage"). */
  positionEffect?: boolean;
}

export interface NewtonFitResult {
  theta: Float64Array;
  /** The position effect; 0 when it was not fitted. */
  eta: number;
  iterations: number;
  converged: boolean;
}

const ARMIJO = 1e-4;
/** A single Newton step never moves a score by more than this (keeps exp() sane on separated data). */
const MAX_STEP = 8;

/** The penalised log-likelihood and its first two derivatives at one point, from a single pass over the pairs. */
interface Linearisation {
  value: number;
  gradient: Float64Array;
  /** Laplacian weight total * p * (1 - p) of each pair. */
  weights: Float64Array;
  /** Diagonal of the negative Hessian (the Jacobi preconditioner). */
  diagonal: Float64Array;
  /** d l / d eta. */
  etaGradient: number;
  /** -d2 l / d theta_i d eta: sum of the weights where i is A minus where i is B (sums to 0). */
  cross: Float64Array;
  /** -d2 l / d eta2: the sum of all weights plus 2 ridge. */
  etaCurvature: number;
}

function allocate(table: ComparisonTable): Linearisation {
  return {
    value: 0,
    gradient: new Float64Array(table.essayCount),
    weights: new Float64Array(table.pairCount),
    diagonal: new Float64Array(table.essayCount),
    etaGradient: 0,
    cross: new Float64Array(table.essayCount),
    etaCurvature: 0,
  };
}

function linearise(
  table: ComparisonTable,
  theta: Float64Array,
  eta: number,
  ridge: number,
  out: Linearisation,
): void {
  const { gradient, weights, diagonal, cross } = out;
  let squares = eta * eta;
  for (let i = 0; i < theta.length; i++) {
    squares += theta[i] * theta[i];
    gradient[i] = -2 * ridge * theta[i];
    diagonal[i] = 2 * ridge;
    cross[i] = 0;
  }
  let value = -ridge * squares;
  let etaGradient = -2 * ridge * eta;
  let etaCurvature = 2 * ridge;
  for (let e = 0; e < table.pairCount; e++) {
    const i = table.first[e];
    const j = table.second[e];
    const d = theta[i] - theta[j] + eta;
    // One exp serves both softplus(d) = log(1 + e^d) and p = sigmoid(d), stably for either sign of d.
    const tail = Math.exp(-Math.abs(d));
    const p = d >= 0 ? 1 / (1 + tail) : tail / (1 + tail);
    const total = table.total[e];
    value += table.firstWins[e] * d - total * (Math.max(d, 0) + Math.log1p(tail));
    const residual = table.firstWins[e] - total * p;
    gradient[i] += residual;
    gradient[j] -= residual;
    etaGradient += residual;
    const w = total * p * (1 - p);
    weights[e] = w;
    diagonal[i] += w;
    diagonal[j] += w;
    cross[i] += w;
    cross[j] -= w;
    etaCurvature += w;
  }
  out.value = value;
  out.etaGradient = etaGradient;
  out.etaCurvature = etaCurvature;
}

/** out = (L_w + 2 ridge I) x */
export function applyInformation(
  table: ComparisonTable,
  weights: Float64Array,
  ridge: number,
  x: Float64Array,
  out: Float64Array,
): void {
  for (let i = 0; i < x.length; i++) out[i] = 2 * ridge * x[i];
  for (let e = 0; e < table.pairCount; e++) {
    const i = table.first[e];
    const j = table.second[e];
    const t = weights[e] * (x[i] - x[j]);
    out[i] += t;
    out[j] -= t;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Preconditioned CG for (L_w + 2 ridge I) x = rhs, stopping at relative residual `relativeTolerance`. */
export function conjugateGradient(
  table: ComparisonTable,
  weights: Float64Array,
  diagonal: Float64Array,
  ridge: number,
  rhs: Float64Array,
  relativeTolerance: number,
): Float64Array {
  const n = rhs.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(rhs);
  const z = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = diagonal[i] > 0 ? r[i] / diagonal[i] : 0;
  const p = Float64Array.from(z);
  let rz = dot(r, z);
  const target = relativeTolerance * relativeTolerance * dot(rhs, rhs);
  const maxIterations = Math.max(50, 2 * n);
  for (let it = 0; it < maxIterations && dot(r, r) > target && rz > 0; it++) {
    applyInformation(table, weights, ridge, p, q);
    const pq = dot(p, q);
    if (!(pq > 0)) break;
    const step = rz / pq;
    for (let i = 0; i < n; i++) {
      x[i] += step * p[i];
      r[i] -= step * q[i];
    }
    for (let i = 0; i < n; i++) z[i] = diagonal[i] > 0 ? r[i] / diagonal[i] : 0;
    const rzNext = dot(r, z);
    const beta = rzNext / rz;
    rz = rzNext;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  return x;
}

/** The likelihood ignores a common shift, and the ridge prefers the centred one: centring never hurts. */
export function centre(theta: Float64Array): void {
  let mean = 0;
  for (let i = 0; i < theta.length; i++) mean += theta[i];
  mean /= theta.length || 1;
  for (let i = 0; i < theta.length; i++) theta[i] -= mean;
}

/**
 * Starting point: 0, except essays that won (lost) every comparison, which start where their own likelihood and
 * the ridge balance with opponents at 0 (c * sigmoid(-x) = 2 ridge x). Newton from 0 would climb that flat tail
 * about one logit per iteration.
 */
function initialScores(table: ComparisonTable, ridge: number): Float64Array {
  const theta = new Float64Array(table.essayCount);
  if (ridge <= 0) return theta;
  for (let i = 0; i < theta.length; i++) {
    const c = table.comparisons[i];
    const w = table.wins[i];
    if (c === 0 || (w > 0 && w < c)) continue;
    // Newton on h(x) = log c - log(1 + e^x) - log(2 ridge x), which is nearly linear in x.
    let x = 1;
    for (let it = 0; it < 50; it++) {
      const h = Math.log(c) - (x + Math.log1p(Math.exp(-x))) - Math.log(2 * ridge * x);
      const slope = -1 / (1 + Math.exp(-x)) - 1 / x;
      const next = Math.max(x / 2, x - h / slope);
      if (Math.abs(next - x) < 1e-6) break;
      x = next;
    }
    theta[i] = w === c ? x : -x;
  }
  centre(theta);
  return theta;
}

export function newtonFit(table: ComparisonTable, options: NewtonFitOptions): NewtonFitResult {
  const { ridge, maxIterations, tolerance } = options;
  const positionEffect = options.positionEffect === true;
  const n = table.essayCount;
  const theta = initialScores(table, ridge);
  let eta = 0;
  const candidate = new Float64Array(n);
  let current = allocate(table);
  let trial = allocate(table);
  linearise(table, theta, eta, ridge, current);

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const { gradient, weights, diagonal } = current;
    let gradientMax = positionEffect ? Math.abs(current.etaGradient) : 0;
    for (let i = 0; i < n; i++) gradientMax = Math.max(gradientMax, Math.abs(gradient[i]));
    // Inexact Newton: loose solves far from the optimum, tight ones near it (Eisenstat-Walker style forcing).
    const forcing = Math.max(1e-12, Math.min(0.1, gradientMax));
    // 1'g = 0 exactly in theory; centring removes the rounding that would make the system inconsistent
    // along the (near-)null constant direction, where CG would otherwise blow up.
    centre(gradient);
    const direction = conjugateGradient(table, weights, diagonal, ridge, gradient, forcing);
    let etaStep = 0;
    if (positionEffect) {
      // Block elimination of [[L, c], [c', s]] [dTheta; dEta] = [g; gEta]:
      //   dEta = (gEta - c'L^-1 g) / (s - c'L^-1 c),  dTheta = L^-1 g - dEta L^-1 c.
      centre(current.cross);
      const coupling = conjugateGradient(table, weights, diagonal, ridge, current.cross, forcing);
      const schur = current.etaCurvature - dot(current.cross, coupling);
      etaStep = schur > 0 ? (current.etaGradient - dot(current.cross, direction)) / schur : 0;
      for (let i = 0; i < n; i++) direction[i] -= etaStep * coupling[i];
    }
    // The exact direction has no constant part (1'g = 0 at centred theta); drop the part rounding put there.
    centre(direction);

    let directionMax = Math.abs(etaStep);
    for (let i = 0; i < n; i++) directionMax = Math.max(directionMax, Math.abs(direction[i]));
    let stepLength = directionMax > MAX_STEP ? MAX_STEP / directionMax : 1;
    const slope = dot(gradient, direction) + current.etaGradient * etaStep;
    const slack = 1e-13 * (1 + Math.abs(current.value));
    let accepted = false;
    let candidateEta = eta;
    for (let halving = 0; halving < 40; halving++) {
      for (let i = 0; i < n; i++) candidate[i] = theta[i] + stepLength * direction[i];
      centre(candidate);
      candidateEta = eta + stepLength * etaStep;
      linearise(table, candidate, candidateEta, ridge, trial);
      if (trial.value >= current.value + ARMIJO * stepLength * slope - slack) {
        accepted = true;
        break;
      }
      stepLength /= 2;
    }
    if (!accepted) return { theta, eta, iterations: iteration, converged: directionMax < tolerance };
    theta.set(candidate);
    eta = candidateEta;
    [current, trial] = [trial, current];
    if (stepLength === 1 && directionMax < tolerance)
      return { theta, eta, iterations: iteration, converged: true };
  }
  return { theta, eta, iterations: maxIterations, converged: false };
}
