/** Wait before the next status poll: grows 1.5x per poll from `baseMs`, capped at `maxMs`. */
export function pollDelayMs(pollsSoFar: number, baseMs: number, maxMs: number): number {
  return Math.round(Math.min(Math.max(baseMs, maxMs), baseMs * 1.5 ** Math.max(0, pollsSoFar)));
}

/** What the next poll's timing is chosen from. */
export interface PollPlan {
  pollsSoFar: number;
  baseMs: number;
  maxMs: number;
  /** Comparisons in the batch: a larger batch takes longer at the provider, so it is polled less eagerly. */
  comparisons: number;
  /** The provider will announce the end (webhook configured): polling is only the safety net. */
  notified: boolean;
  /** Safety-net interval when `notified`. */
  safetyMs: number;
  /** This provider's observed submit → results-ready time, scaled to this batch's size, if known. */
  expectedTurnaroundMs?: number;
  /** Time since the batch was submitted. */
  sinceSubmitMs: number;
}

/**
 * Push, then poll: with a webhook the poll is a rare safety net. Without one, the first poll comes when batches
 * of this provider usually end (observed turnaround), and otherwise the backoff starts from a base scaled by the
 * batch's size (×1 at 100 comparisons, ×3 at 10,000), growing 1.5× per poll up to the cap.
 */
export function choosePollDelayMs(plan: PollPlan): number {
  if (plan.notified) return plan.safetyMs;
  const cap = Math.max(plan.baseMs, plan.maxMs);
  const expected = plan.expectedTurnaroundMs;
  if (expected !== undefined && plan.sinceSubmitMs < expected) {
    return Math.round(Math.min(cap, Math.max(plan.baseMs, expected - plan.sinceSubmitMs)));
  }
  const sizeFactor = 1 + Math.log10(Math.max(1, plan.comparisons / 100));
  return Math.round(Math.min(cap, plan.baseMs * sizeFactor * 1.5 ** Math.max(0, plan.pollsSoFar)));
}
