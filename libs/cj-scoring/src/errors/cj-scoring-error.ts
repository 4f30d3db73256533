/**
 * Stable codes for bad input to the scoring library. This lib imports nothing of ours, so the codes are its own;
 * callers map them onto libs/contracts' INVALID_REQUEST. None is retryable: the same input fails the same way.
 */
export const CJ_SCORING_ERROR_CODES = [
  'DUPLICATE_ESSAY_ID',
  'TOO_FEW_ESSAYS',
  'INVALID_ESSAY_ID',
  'INVALID_COMPARISONS_PER_ESSAY',
  'INVALID_SEED',
  'UNKNOWN_ESSAY',
  'INVALID_JUDGEMENT',
  'INVALID_OPTION',
  'INVALID_INPUT_FILE',
  'DESIGN_NOT_FOUND',
] as const;

export type CjScoringErrorCode = (typeof CJ_SCORING_ERROR_CODES)[number];

export class CjScoringError extends Error {
  override readonly name = 'CjScoringError';
  readonly retryable = false;

  constructor(
    readonly code: CjScoringErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
