export type Winner = 'Essay A' | 'Essay B';

/** One judged comparison: `winner` says which position won ('Essay A' means essay_a won). */
export interface Judgement {
  essay_a: string;
  essay_b: string;
  winner: Winner;
}

export interface EssayScore {
  essay_id: string;
  /** Bradley-Terry ability on the logit scale, centred so the scores of all essays sum to zero. */
  score: number;
  /** Standard error in the same sum-to-zero convention; null when standard errors were not computed. */
  se: number | null;
  /** 1 = best; ties (equal scores) are broken by essay id so ranks are always 1..n. */
  rank: number;
  wins: number;
  losses: number;
  comparisons: number;
}

export interface PositionBias {
  /** Judgements won by the essay shown first ('Essay A'). */
  a_wins: number;
  total: number;
  /** a_wins / total; null when there are no judgements. */
  share: number | null;
}

/**
 * The position effect eta of the model P(A beats B) = sigmoid(theta_a - theta_b + eta): the log-odds bonus of the
 * essay shown first ('Essay A'), the "home advantage" of sports data. 0 = no position bias; sigmoid(eta) is the
 * chance that the first-shown of two equal essays wins.
 */
export interface PositionEffect {
  estimate: number;
  /** Standard error from the information matrix; null when SEs were not computed or eta is not identified. */
  se: number | null;
  /** 95 % Wald interval, estimate ± 1.96·SE; null with the SE. */
  ci_lower: number | null;
  ci_upper: number | null;
}

export type StandardErrorMethod = 'exact' | 'approximate' | 'none';

export interface ScoringResult {
  /** One entry per essay, best first (rank order). */
  scores: EssayScore[];
  /** Scale separation reliability; null when it cannot be computed (no SEs, < 2 compared essays, zero variance). */
  ssr: number | null;
  position_bias: PositionBias;
  /** The fitted position effect (scores are corrected for it); null when fitted with `positionEffect: false`. */
  position_effect: PositionEffect | null;
  /** Newton iterations used. */
  iterations: number;
  converged: boolean;
  /** How the SEs were computed ('auto' resolved). */
  se_method: StandardErrorMethod;
  /** The ridge alpha used (penalty alpha * sum(theta^2)). */
  ridge: number;
}

export interface FitOptions {
  /**
   * Ridge alpha in the penalty alpha * (sum(theta^2) + eta^2). Default 1e-5 (see README). 0 = plain MLE (connected
   * data only).
   */
  ridge?: number;
  /** Fit the position effect eta (default true); false = the plain Bradley-Terry model. */
  positionEffect?: boolean;
  /** 'auto' (default): exact up to `exactSeMaxEssays` essays, approximate above. */
  standardErrors?: StandardErrorMethod | 'auto';
  /** Largest essay count for which 'auto' uses the exact (dense, O(n^3)) SEs. Default 1500. */
  exactSeMaxEssays?: number;
  /** Newton iteration cap. Default 100. */
  maxIterations?: number;
  /** Convergence: largest score change of a full Newton step. Default 1e-10. */
  tolerance?: number;
}

export interface Pair {
  /** 0-based position in the design; the order judgements should be requested and reported in. */
  pair_index: number;
  essay_a: string;
  essay_b: string;
}

export interface PairDesignOptions {
  essayIds: readonly string[];
  /** Target comparisons per essay (judgements each essay takes part in, counting both orders when bothOrders). */
  comparisonsPerEssay: number;
  /** Integer seed: the same seed and inputs always give the same design. */
  seed: number;
  /** Judge every chosen pair twice, once in each order (counter-balances position bias). */
  bothOrders?: boolean;
}

export interface SplitHalfOptions {
  /** Seed of the random splits (the same seed and judgements give the same value). */
  seed: number;
  /** Random splits averaged (default 10). */
  splits?: number;
  /** Ridge of each half's fit (default 0.05, see DEFAULT_SPLIT_HALF_RIDGE). */
  ridge?: number;
  /** Fit the position effect in each half (default true, like the full fit). */
  positionEffect?: boolean;
}

export interface SplitHalfReliability {
  /** Spearman-Brown stepped-up mean half correlation, 2r / (1 + r); null when it cannot be computed. */
  reliability: number | null;
  /** Mean Pearson correlation of the two halves' scores. */
  half_correlation: number | null;
  splits: number;
}

export interface AdaptiveRoundOptions {
  essayIds: readonly string[];
  /** Every pair of the design so far, judged or not: counts, A/B balance and the pairs not to repeat. */
  previousPairs: readonly Pair[];
  /** Every successful judgement so far: the pairs are chosen from their fit. */
  judgements: readonly Judgement[];
  /**
   * Ridge of that fit (default 0.01, a N(0, 50) prior, SD ~7 logits): essays that won or lost everything so far get
   * finite, usable scores and SEs instead of the near-flat default prior's |theta| ~ 15 and huge SEs.
   */
  ridge?: number;
  /** New comparisons this round, on average per essay (round size = round(n * k / 2)); may be fractional. */
  comparisonsPerEssay: number;
  /** No essay is put in more comparisons than this in total. */
  maxComparisonsPerEssay: number;
  /** Integer seed (tie-breaks, orientation, order). */
  seed: number;
}
