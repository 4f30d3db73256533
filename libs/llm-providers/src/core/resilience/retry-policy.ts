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

export interface CallOptions {
  /**
   * False for a request that must not run twice (creating a provider batch): only errors that prove the provider
   * never processed it are retried in place; an ambiguous one (timeout, 5xx, reset) is thrown at once.
   */
  idempotent?: boolean;
}

/**
 * Whether `error` proves the request was not processed: a rate limit rejects it before any work, and a refused
 * connection never carried it. A timeout, a 5xx or a reset mid-request may come after the provider acted.
 */
export function provesNotProcessed(error: ProviderError): boolean {
  if (error.code === 'RATE_LIMIT' || error.status === 429) return true;
  if (error.code !== 'CONNECTION_ERROR') return false;
  for (let cause: unknown = error.cause, depth = 0; cause && depth < 5; depth += 1) {
    if ((cause as { code?: unknown }).code === 'ECONNREFUSED') return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
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

  /**
   * Runs `fn` until it succeeds, a non-retryable error occurs, or attempts run out (last error is thrown).
   * A non-idempotent `fn` is retried only after errors that prove it was not processed.
   */
  async execute<T>(
    fn: (attempt: number) => Promise<T>,
    normalize: (err: unknown) => ProviderError,
    options: CallOptions = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn(attempt);
      } catch (err) {
        const error = normalize(err);
        if (options.idempotent === false && !provesNotProcessed(error)) throw error;
        if (!(await this.backoff(attempt, error))) throw error;
      }
    }
  }

  /** Sleeps before retry number `retry` after `error`; false (without sleeping) when it should not be retried. */
  async backoff(retry: number, error: ProviderError): Promise<boolean> {
    const delayMs = this.delayFor(retry, error);
    if (delayMs === undefined) return false;
    this.deps.onRetry?.({ attempt: retry, delayMs, error });
    await this.sleep(delayMs);
    return true;
  }
}
