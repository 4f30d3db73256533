import type { EssayScore } from '../types.js';

/**
 * Scale separation reliability, SSR = (var(theta) - mean(SE^2)) / var(theta).
 * Convention (values differ between conventions, so it is fixed here):
 * - over essays with at least one comparison (an uncompared essay has no information, only the prior);
 * - var(theta) is the sample variance of the sum-to-zero scores with the n - 1 denominator;
 * - SE^2 are the sum-to-zero (centred) sampling variances.
 * It is not clamped: a negative value says the scores are mostly noise.
 * Null when fewer than two compared essays have a finite SE or the scores do not vary.
 */
export function scaleSeparationReliability(scores: readonly EssayScore[]): number | null {
  const used = scores.filter((s) => s.comparisons > 0 && s.se !== null);
  if (used.length < 2) return null;
  const mean = used.reduce((sum, s) => sum + s.score, 0) / used.length;
  const variance = used.reduce((sum, s) => sum + (s.score - mean) ** 2, 0) / (used.length - 1);
  if (!(variance > 0)) return null;
  const meanErrorVariance = used.reduce((sum, s) => sum + (s.se as number) ** 2, 0) / used.length;
  return (variance - meanErrorVariance) / variance;
}
