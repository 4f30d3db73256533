import type { RetrySettings } from '../provider-config.js';
import { ProviderError } from '../provider-error.js';

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryPolicyDeps {
  sleep?: Sleep;
  /** [0, 1), injectable so jitter is testable. */
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: ProviderError }) => void;
}

/**
 * Exponential backoff with full jitter (delay uniform in [0, min(max, base·2^(n-1))]), so many workers hitting
 * the same rate limit spread out instead of retrying in lockstep. Only retryable ProviderErrors are retried.
 */
export class RetryPolicy {
  private readonly sleep: Sleep;
  private readonly random: () => number;

  constructor(
    private readonly settings: RetrySettings,
    private readonly deps: RetryPolicyDeps = {},
  ) {
    this.sleep = deps.sleep ?? realSleep;
    this.random = deps.random ?? Math.random;
  }

  /**
   * Delay before retry number `retry` (1 = first retry), or undefined to give up. CIRCUIT_OPEN is never retried
   * here: failing fast is the point of an open circuit, and the job queue retries later. A Retry-After longer
   * than the maximum delay also ends the loop; the error keeps `retryAfterMs` for the job scheduler.
   */
  delayFor(retry: number, error: ProviderError): number | undefined {
    if (!error.retryable || error.code === 'CIRCUIT_OPEN' || retry >= this.settings.attempts)
      return undefined;
    const ceiling = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (retry - 1));
    const jittered = Math.floor(this.random() * ceiling);
    if (error.retryAfterMs === undefined) return jittered;
    if (error.retryAfterMs > this.settings.maxDelayMs) return undefined;
    return Math.max(error.retryAfterMs, jittered);
  }

  /** Runs `fn` until it succeeds, a non-retryable error occurs, or attempts run out (last error is thrown). */
  async execute<T>(
    fn: (attempt: number) => Promise<T>,
    normalize: (err: unknown) => ProviderError,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn(attempt);
      } catch (err) {
        const error = normalize(err);
        const delayMs = this.delayFor(attempt, error);
        if (delayMs === undefined) throw error;
        this.deps.onRetry?.({ attempt, delayMs, error });
        await this.sleep(delayMs);
      }
    }
  }
}
