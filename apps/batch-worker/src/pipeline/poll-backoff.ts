/** Wait before the next status poll: grows 1.5x per poll from `baseMs`, capped at `maxMs`. */
export function pollDelayMs(pollsSoFar: number, baseMs: number, maxMs: number): number {
  return Math.round(Math.min(Math.max(baseMs, maxMs), baseMs * 1.5 ** Math.max(0, pollsSoFar)));
}
