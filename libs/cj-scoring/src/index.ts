export { fitBradleyTerry, DEFAULT_RIDGE, DEFAULT_EXACT_SE_MAX_ESSAYS } from './bt/fit-bradley-terry.js';
export { hunterMmScores, type HunterMmResult } from './bt/hunter-mm.js';
export { generatePairs } from './design/generate-pairs.js';
export { selectAdaptivePairs } from './design/adaptive-pairs.js';
export {
  chainReliability,
  splitHalfReliability,
  DEFAULT_SPLIT_HALF_RIDGE,
  DEFAULT_SPLIT_HALF_SPLITS,
} from './reliability/split-half.js';
export { spearman, pearson } from './stats/spearman.js';
export { Mulberry32 } from './random/mulberry32.js';
export {
  CjScoringError,
  CJ_SCORING_ERROR_CODES,
  type CjScoringErrorCode,
} from './errors/cj-scoring-error.js';
export { simulateJudgements, simulatedEssays } from './testing/simulate-judgements.js';
export type {
  AdaptiveRoundOptions,
  EssayScore,
  FitOptions,
  Judgement,
  Pair,
  PairDesignOptions,
  PositionBias,
  PositionEffect,
  ScoringResult,
  SplitHalfOptions,
  SplitHalfReliability,
  StandardErrorMethod,
  Winner,
} from './types.js';
