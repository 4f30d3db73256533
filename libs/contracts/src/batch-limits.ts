/**
 * Default size limits of one comparison batch. The API enforces them (MAX_* variables) and cj-integration checks
 * an assessment against the same numbers (CJ_MAX_* variables) before it stores anything, so it never accepts work
 * the API would refuse. Sized for a national round: 20,000 essays at k = 10 is 100,000 comparisons.
 */
export const BATCH_LIMIT_DEFAULTS = {
  comparisons: 100_000,
  essays: 20_000,
  essayChars: 50_000,
  promptChars: 20_000,
} as const;
