import type { Judgement } from '../types.js';
import { buildComparisonTable, indexEssays, type ComparisonTable } from './comparison-table.js';

export interface HunterMmResult {
  theta: Float64Array;
  iterations: number;
  converged: boolean;
}

/**
 * Hunter's (2004) MM / Zermelo iteration, gamma_i <- W_i / sum_j n_ij / (gamma_i + gamma_j), with no prior.
 * A deliberately plain reference: it is the baseline the benchmark compares against and the independent check of
 * the Newton fit in the specs. Needs every essay to have won and lost at least once (strongly connected data).
 */
export function hunterMm(table: ComparisonTable, maxIterations: number, tolerance: number): HunterMmResult {
  const n = table.essayCount;
  let gamma = new Float64Array(n).fill(1);
  const denominator = new Float64Array(n);
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    denominator.fill(0);
    for (let e = 0; e < table.pairCount; e++) {
      const i = table.first[e];
      const j = table.second[e];
      const s = table.total[e] / (gamma[i] + gamma[j]);
      denominator[i] += s;
      denominator[j] += s;
    }
    const next = new Float64Array(n);
    let logSum = 0;
    for (let i = 0; i < n; i++) {
      next[i] = denominator[i] > 0 ? table.wins[i] / denominator[i] : gamma[i];
      logSum += Math.log(next[i]);
    }
    const scale = Math.exp(-logSum / n);
    let change = 0;
    for (let i = 0; i < n; i++) {
      next[i] *= scale;
      change = Math.max(change, Math.abs(Math.log(next[i]) - Math.log(gamma[i])));
    }
    gamma = next;
    if (change < tolerance) return { theta: toCentredLog(gamma), iterations: iteration, converged: true };
  }
  return { theta: toCentredLog(gamma), iterations: maxIterations, converged: false };
}

function toCentredLog(gamma: Float64Array): Float64Array {
  const theta = gamma.map((g) => Math.log(g));
  const mean = theta.reduce((a, b) => a + b, 0) / (theta.length || 1);
  return theta.map((t) => t - mean);
}

/** hunterMm from raw judgements: scores (centred logs) in essayIds order. */
export function hunterMmScores(
  essayIds: readonly string[],
  judgements: readonly Judgement[],
  options: { maxIterations: number; tolerance: number },
): HunterMmResult {
  const table = buildComparisonTable(indexEssays(essayIds), judgements);
  return hunterMm(table, options.maxIterations, options.tolerance);
}
