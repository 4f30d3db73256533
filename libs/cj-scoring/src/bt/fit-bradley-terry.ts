import { CjScoringError } from '../errors/cj-scoring-error.js';
import type {
  EssayScore,
  FitOptions,
  Judgement,
  PositionEffect,
  ScoringResult,
  StandardErrorMethod,
} from '../types.js';
import { buildComparisonTable, indexEssays } from './comparison-table.js';
import { newtonFit } from './newton-fit.js';
import {
  approximateStandardErrors,
  exactStandardErrors,
  informationWeights,
  positionEffectCovariance,
  widenForPositionEffect,
} from './standard-errors.js';
import { scaleSeparationReliability } from './reliability.js';

/**
 * Default ridge alpha (penalty alpha * sum(theta^2), i.e. a N(0, 1/(2 alpha)) prior, SD ~224 logits): small
 * enough that connected data reproduce the plain MLE to well within 1e-4, large enough that an essay that won
 * (or lost) everything, or a group never compared with the rest, still gets a finite score.
 */
export const DEFAULT_RIDGE = 1e-5;
export const DEFAULT_EXACT_SE_MAX_ESSAYS = 1500;

function option(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  integer = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new CjScoringError(
      'INVALID_OPTION',
      `option ${name} must be a ${integer ? 'whole ' : ''}number >= ${min}`,
      {
        option: name,
      },
    );
  }
  return value;
}

function resolveSeMethod(
  requested: FitOptions['standardErrors'],
  n: number,
  exactMax: number,
): StandardErrorMethod {
  const method = requested ?? 'auto';
  if (!['auto', 'exact', 'approximate', 'none'].includes(method)) {
    throw new CjScoringError(
      'INVALID_OPTION',
      "option standardErrors must be 'auto', 'exact', 'approximate' or 'none'",
      {
        option: 'standardErrors',
      },
    );
  }
  if (method !== 'auto') return method;
  return n <= exactMax ? 'exact' : 'approximate';
}

/** 95 % two-sided normal quantile. */
const Z95 = 1.959963984540054;

/**
 * Bradley-Terry scores for the given essays from pairwise judgements (penalised MLE, sum-to-zero scale), with
 * standard errors, scale separation reliability, ranks, per-essay counts, the measured position bias and (by
 * default) the fitted position effect, for which the scores are corrected.
 * Essays without judgements are scored 0 (the prior mean).
 */
export function fitBradleyTerry(
  essayIds: readonly string[],
  judgements: readonly Judgement[],
  options: FitOptions = {},
): ScoringResult {
  const ridge = option('ridge', options.ridge, DEFAULT_RIDGE, 0);
  const maxIterations = option('maxIterations', options.maxIterations, 100, 1, true);
  const tolerance = option('tolerance', options.tolerance, 1e-10, Number.MIN_VALUE);
  const exactMax = option('exactSeMaxEssays', options.exactSeMaxEssays, DEFAULT_EXACT_SE_MAX_ESSAYS, 0, true);
  if (options.positionEffect !== undefined && typeof options.positionEffect !== 'boolean') {
    throw new CjScoringError('INVALID_OPTION', 'option positionEffect must be a boolean', {
      option: 'positionEffect',
    });
  }
  const positionEffect = options.positionEffect ?? true;
  if (!Array.isArray(essayIds) || !Array.isArray(judgements)) {
    throw new CjScoringError('INVALID_OPTION', 'essayIds and judgements must be arrays');
  }
  const essayIndex = indexEssays(essayIds);
  const table = buildComparisonTable(essayIndex, judgements);
  const seMethod = resolveSeMethod(options.standardErrors, table.essayCount, exactMax);

  const fit = newtonFit(table, { ridge, maxIterations, tolerance, positionEffect });
  let se: Float64Array | null = null;
  let etaSe: number | null = null;
  if (seMethod !== 'none') {
    const weights = informationWeights(table, fit.theta, fit.eta);
    se =
      seMethod === 'exact'
        ? exactStandardErrors(table, weights, ridge)
        : approximateStandardErrors(table, weights, ridge);
    const covariance = positionEffect && se ? positionEffectCovariance(table, weights, ridge) : null;
    if (se && covariance) {
      widenForPositionEffect(se, covariance.coupling, covariance.etaVariance);
      etaSe = Math.sqrt(covariance.etaVariance);
    }
  }

  const scores: EssayScore[] = essayIds.map((essayId, i) => ({
    essay_id: essayId,
    score: fit.theta[i],
    se: se && Number.isFinite(se[i]) ? se[i] : null,
    rank: 0,
    wins: table.wins[i],
    losses: table.comparisons[i] - table.wins[i],
    comparisons: table.comparisons[i],
  }));
  scores.sort(
    (x, y) => y.score - x.score || (x.essay_id < y.essay_id ? -1 : x.essay_id > y.essay_id ? 1 : 0),
  );
  scores.forEach((entry, position) => (entry.rank = position + 1));

  const total = table.judgementCount;
  return {
    scores,
    ssr: se ? scaleSeparationReliability(scores) : null,
    position_bias: { a_wins: table.aWins, total, share: total > 0 ? table.aWins / total : null },
    position_effect: positionEffect ? positionEffectOf(fit.eta, etaSe) : null,
    iterations: fit.iterations,
    converged: fit.converged,
    se_method: seMethod,
    ridge,
  };
}

function positionEffectOf(estimate: number, se: number | null): PositionEffect {
  return {
    estimate,
    se,
    ci_lower: se === null ? null : estimate - Z95 * se,
    ci_upper: se === null ? null : estimate + Z95 * se,
  };
}
