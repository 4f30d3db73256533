import type { ProviderName } from '#contracts';
import { normalizeProviderError } from '../error-normalizer.js';
import { ProviderError } from '../provider-error.js';
import { isRequestNotSent } from '../send-gate.js';
import type { CircuitBreakerRegistry } from './circuit-breaker-registry.js';
import type { ProviderCallCounter } from './provider-call-counter.js';
import type { CallOptions, RetryPolicy } from './retry-policy.js';

/**
 * The road every provider HTTP call takes: retry ( breaker ( count ( call ) ) ).
 *
 * Retry sits OUTSIDE the breaker so that every attempt is seen by the breaker: a provider that keeps failing
 * opens the circuit within one request's retries, and once it is open the remaining attempts stop at once
 * (CIRCUIT_OPEN is not retried in-process) instead of sleeping and hammering a sick provider. Retry inside the
 * breaker would count a whole retried sequence as one failure and keep retrying while the circuit is open.
 *
 * Wrap each HTTP request in its own `call` (one call = one counted request); errors come out normalised.
 * Pass `{ idempotent: false }` for a request that must not run twice (see CallOptions).
 */
export class ResilientCaller {
  constructor(
    private readonly retry: RetryPolicy,
    private readonly breakers: CircuitBreakerRegistry,
    private readonly counter: ProviderCallCounter,
    private readonly clock: () => number = Date.now,
  ) {}

  call<T>(
    provider: ProviderName,
    operation: string,
    fn: () => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const normalize = (err: unknown): ProviderError =>
      isRequestNotSent(err) ? notSent(provider, err) : normalizeProviderError(err, provider);
    return this.retry.execute(
      () =>
        this.breakers.fire(provider, async () => {
          const startedAt = this.clock();
          try {
            const result = await fn();
            this.counter.record({
              provider,
              operation,
              outcome: 'success',
              duration_ms: this.clock() - startedAt,
            });
            return result;
          } catch (err) {
            const error = normalize(err);
            // Refused before it left (its send gate stayed shut): no call was made.
            if (isRequestNotSent(err)) throw error;
            this.counter.record({
              provider,
              operation,
              outcome: 'error',
              error_code: error.code,
              duration_ms: this.clock() - startedAt,
            });
            throw error;
          }
        }),
      normalize,
      options,
    );
  }

  /** The retry policy's wait before retry number `retry`; false when `error` should not be retried again. */
  backoff(retry: number, error: ProviderError): Promise<boolean> {
    return this.retry.backoff(retry, error);
  }
}

/** A request its send gate refused: CANCELED (not retried; not a mark against the provider's health). */
function notSent(provider: ProviderName, cause: unknown): ProviderError {
  return new ProviderError('CANCELED', `${provider}: request not sent (its call was called off)`, {
    provider,
    cause,
  });
}
