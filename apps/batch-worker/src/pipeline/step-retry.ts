import type { ProviderName } from '#contracts';

/**
 * How long each provider keeps a submitted batch before expiring it (providers.md): Anthropic, OpenAI and
 * OpenRouter 24 h, Gemini 48 h. Until then the batch may still deliver paid results, so a poll that keeps
 * failing transiently is retried, never turned into a failed batch.
 */
const HOUR_MS = 60 * 60 * 1000;
export const PROVIDER_BATCH_WINDOW_MS: Record<ProviderName, number> = {
  anthropic: 24 * HOUR_MS,
  openai: 24 * HOUR_MS,
  openrouter: 24 * HOUR_MS,
  google: 48 * HOUR_MS,
  mock: 24 * HOUR_MS,
};

/** Which step failed: before every provider part is recorded, or afterwards (status polls, collection). */
export type StepPhase = 'submit' | 'poll';

export interface StepRetrySettings {
  /** First wait after a failed step; doubles per consecutive failure of the same step. */
  baseMs: number;
  /** Longest wait between two tries of a step. */
  maxMs: number;
  /** Consecutive failures a submit step may have before its batch fails (polls have no such budget). */
  submitAttempts: number;
}

export type StepRetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Exponential backoff with ±20 % jitter (so workers that failed together do not retry together), capped. */
export function stepBackoffMs(failures: number, baseMs: number, maxMs: number, random = Math.random): number {
  const raw = Math.min(Math.max(baseMs, maxMs), baseMs * 2 ** Math.max(0, failures));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/**
 * What to do after a step threw a transient error, given how many consecutive failures the SAME step had
 * (`failuresSoFar`, reset whenever a step succeeds). The budget is per step, not per job: BullMQ never resets a
 * job's attempts, so a job-wide budget would fail a day-long batch on its 8th transient poll error and throw its
 * paid results away.
 * - submit: `submitAttempts` tries with backoff, then the batch fails (its recorded parts are cancelled first);
 * - poll: retried with backoff up to the cap until the provider's own expiry (+ grace) has passed: until then the
 *   provider may still deliver, and once past it nothing more can come.
 */
export function decideStepRetry(
  phase: StepPhase,
  failuresSoFar: number,
  settings: StepRetrySettings,
  pollUntilMs: number | null,
  nowMs: number,
  random = Math.random,
): StepRetryDecision {
  const delayMs = stepBackoffMs(failuresSoFar, settings.baseMs, settings.maxMs, random);
  if (phase === 'poll') {
    if (pollUntilMs === null || nowMs < pollUntilMs) return { retry: true, delayMs };
    return { retry: false, reason: 'the provider batch window has passed' };
  }
  if (failuresSoFar + 1 < settings.submitAttempts) return { retry: true, delayMs };
  return { retry: false, reason: `submission failed ${failuresSoFar + 1} times in a row` };
}
