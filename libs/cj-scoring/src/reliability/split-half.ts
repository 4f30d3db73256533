import { CjScoringError } from '../errors/cj-scoring-error.js';
import { fitBradleyTerry } from '../bt/fit-bradley-terry.js';
import { Mulberry32 } from '../random/mulberry32.js';
import { pearson } from '../stats/spearman.js';
import type { Judgement, SplitHalfOptions, SplitHalfReliability } from '../types.js';

/** Random splits averaged: one split of a small set is noisy (its SD is ~0.03-0.05 at 10-20 judgements/essay). */
export const DEFAULT_SPLIT_HALF_SPLITS = 10;
/**
 * Ridge of the half fits: a N(0, 10) prior (SD ~3.2 logits). A half has half the judgements, so essays that won or
 * lost every judgement of their half are common; with the near-flat default prior they would sit at |theta| ~ 15 and
 * decide the correlation on their own.
 */
export const DEFAULT_SPLIT_HALF_RIDGE = 0.05;

/**
 * Split-half reliability over judgements: split the judgements into two random halves, fit each half, correlate
 * the two score sets (Pearson, over essays judged in both halves), average the correlation over `splits` seeded
 * splits and step it up to the full set with Spearman-Brown, 2r / (1 + r).
 *
 * Unlike SSR it is not inflated by adaptive pairing (Bramley 2015; Bramley & Vitello 2018): SSR compares the
 * spread of the scores with their model SEs, and pairing close estimates spreads noise out; two independent
 * halves of noise do not correlate. Null when fewer than 3 essays were judged in both halves or a half's scores do
 * not vary.
 */
export function splitHalfReliability(
  essayIds: readonly string[],
  judgements: readonly Judgement[],
  options: SplitHalfOptions,
): SplitHalfReliability {
  const splits = options.splits ?? DEFAULT_SPLIT_HALF_SPLITS;
  const ridge = options.ridge ?? DEFAULT_SPLIT_HALF_RIDGE;
  if (!Number.isInteger(splits) || splits < 1) {
    throw new CjScoringError('INVALID_OPTION', 'option splits must be a whole number >= 1', {
      option: 'splits',
    });
  }
  if (!Number.isSafeInteger(options.seed)) {
    throw new CjScoringError('INVALID_SEED', 'seed must be a safe integer', { seed: options.seed });
  }
  const rng = new Mulberry32(options.seed);
  const order = Int32Array.from({ length: judgements.length }, (_, i) => i);
  const correlations: number[] = [];
  for (let s = 0; s < splits; s++) {
    rng.shuffle(order);
    const half = Math.floor(order.length / 2);
    const first: Judgement[] = [];
    const second: Judgement[] = [];
    // Each half keeps the judgements' own order (the fit does not depend on it anyway).
    const inFirst = new Uint8Array(order.length);
    for (let i = 0; i < half; i++) inFirst[order[i]] = 1;
    judgements.forEach((j, i) => (inFirst[i] ? first : second).push(j));
    const r = halfCorrelation(essayIds, first, second, ridge, options.positionEffect ?? true);
    if (r !== null) correlations.push(r);
  }
  if (correlations.length === 0) return { reliability: null, half_correlation: null, splits };
  const r = correlations.reduce((a, b) => a + b, 0) / correlations.length;
  return { reliability: (2 * r) / (1 + r), half_correlation: r, splits };
}

function halfCorrelation(
  essayIds: readonly string[],
  first: Judgement[],
  second: Judgement[],
  ridge: number,
  positionEffect: boolean,
): number | null {
  const options = { ridge, positionEffect, standardErrors: 'none' as const };
  const a = fitBradleyTerry(essayIds, first, options).scores;
  const b = new Map(fitBradleyTerry(essayIds, second, options).scores.map((s) => [s.essay_id, s]));
  const x: number[] = [];
  const y: number[] = [];
  for (const s of a) {
    const other = b.get(s.essay_id)!;
    if (s.comparisons === 0 || other.comparisons === 0) continue;
    x.push(s.score);
    y.push(other.score);
  }
  if (x.length < 3) return null;
  const r = pearson(x, y);
  return Number.isFinite(r) ? r : null;
}

/**
 * Reliability from two given halves (Spearman-Brown stepped-up correlation of their fits), for designs whose
 * halves were built independently — two adaptive chains that each chose pairs from their own judgements only.
 * A random split of an adaptive design's judgements is NOT enough: the pairs themselves were chosen from all
 * the judgements, so both halves inherit the same early luck (measured: 0.84 for a coin-flip judge).
 *
 * `totalJudgements` (> the two chains' judgements): the design also has judgements outside the chains (joint pairs
 * chosen from all the judgements); the chains' reliability is stepped up to that length with the general
 * Spearman-Brown formula L rho / (1 + (L - 1) rho), L = total / (chain A + chain B), which counts a joint judgement
 * as informative as a chain one (joint pairs are chosen from more data, so this errs low). Only the chains'
 * correlation enters, so a judge without signal still gets ~0; a reliability <= 0 is not stepped up.
 */
export function chainReliability(
  essayIds: readonly string[],
  first: readonly Judgement[],
  second: readonly Judgement[],
  options: Pick<SplitHalfOptions, 'ridge' | 'positionEffect'> & { totalJudgements?: number } = {},
): SplitHalfReliability {
  const r = halfCorrelation(
    essayIds,
    [...first],
    [...second],
    options.ridge ?? DEFAULT_SPLIT_HALF_RIDGE,
    options.positionEffect ?? true,
  );
  if (r === null) return { reliability: null, half_correlation: null, splits: 1 };
  const chains = (2 * r) / (1 + r);
  const length = (options.totalJudgements ?? 0) / (first.length + second.length);
  const reliability = length > 1 && chains > 0 ? (length * chains) / (1 + (length - 1) * chains) : chains;
  return { reliability, half_correlation: r, splits: 1 };
}
