export { fitBradleyTerry, DEFAULT_RIDGE, DEFAULT_EXACT_SE_MAX_ESSAYS } from './bt/fit-bradley-terry.js';
export { hunterMmScores, type HunterMmResult } from './bt/hunter-mm.js';
export { generatePairs } from './design/generate-pairs.js';
export { spearman } from './stats/spearman.js';
export {
  CjScoringError,
  CJ_SCORING_ERROR_CODES,
  type CjScoringErrorCode,
} from './errors/cj-scoring-error.js';
export { simulateJudgements, simulatedEssays } from './testing/simulate-judgements.js';
export type {
  EssayScore,
  FitOptions,
  Judgement,
  Pair,
  PairDesignOptions,
  PositionBias,
  ScoringResult,
  StandardErrorMethod,
  Winner,
} from './types.js';
