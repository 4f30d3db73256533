import { afterEach, describe, expect, it } from '@jest/globals';
import { ProviderError } from '../provider-error.js';
import { CircuitBreakerRegistry, type CircuitState } from './circuit-breaker-registry.js';

const unhealthy = () => Promise.reject(new ProviderError('EXTERNAL_SERVICE_ERROR', '500'));
const ok = () => Promise.resolve('ok');
const attempt = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: ProviderError) => err.code,
  );

describe('CircuitBreakerRegistry', () => {
  let registry: CircuitBreakerRegistry;
  afterEach(() => registry.shutdown());

  const make = (resetTimeoutMs = 25) =>
    (registry = new CircuitBreakerRegistry({ failuresToOpen: 3, resetTimeoutMs, successesToClose: 2 }));

  /** Resolves on the next report of `state` for the provider (no sleeping). */
  const next = (state: CircuitState) =>
    new Promise<void>((resolve) => {
      const off = registry.onStateChange((provider, s) => {
        if (provider === 'openai' && s === state) {
          off();
          resolve();
        }
      });
    });

  it('opens after the configured consecutive failures and then fails fast', async () => {
    make(60_000);
    for (let i = 0; i < 2; i += 1)
      expect(await attempt(registry.fire('openai', unhealthy))).toBe('EXTERNAL_SERVICE_ERROR');
    expect(registry.state('openai')).toBe('closed');
    await attempt(registry.fire('openai', unhealthy));
    expect(registry.state('openai')).toBe('open');

    let called = false;
    const error = await registry
      .fire('openai', async () => {
        called = true;
      })
      .catch((err: ProviderError) => err);
    expect(called).toBe(false);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true, provider: 'openai' });
    expect((error as ProviderError).retryAfterMs).toBeGreaterThan(0);
    expect(registry.state('anthropic')).toBe('closed');
  });

  it('does not count rejected requests, and a success resets the failure run', async () => {
    make(60_000);
    const invalid = () => Promise.reject(new ProviderError('INVALID_REQUEST', '400'));
    for (let i = 0; i < 5; i += 1) await attempt(registry.fire('openai', invalid));
    await attempt(registry.fire('openai', unhealthy));
    await attempt(registry.fire('openai', unhealthy));
    await attempt(registry.fire('openai', ok));
    await attempt(registry.fire('openai', unhealthy));
    await attempt(registry.fire('openai', unhealthy));
    expect(registry.state('openai')).toBe('closed');
  });

  it('after the reset timeout lets a trial through and closes after the configured successes', async () => {
    make();
    const states: CircuitState[] = [];
    registry.onStateChange((_p, s) => states.push(s));
    const halfOpen = next('half_open');
    for (let i = 0; i < 3; i += 1) await attempt(registry.fire('openai', unhealthy));
    await halfOpen;
    expect(await attempt(registry.fire('openai', ok))).toBe('ok');
    expect(registry.state('openai')).toBe('half_open'); // one success of two
    expect(await attempt(registry.fire('openai', ok))).toBe('ok');
    expect(registry.state('openai')).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens on a failure during the trial or the probation that follows', async () => {
    make();
    let halfOpen = next('half_open');
    for (let i = 0; i < 3; i += 1) await attempt(registry.fire('openai', unhealthy));
    await halfOpen;
    halfOpen = next('half_open');
    await attempt(registry.fire('openai', unhealthy)); // trial fails
    expect(registry.state('openai')).toBe('open');
    await halfOpen;
    await attempt(registry.fire('openai', ok)); // trial succeeds: probation
    await attempt(registry.fire('openai', unhealthy)); // one failure in probation reopens
    expect(registry.state('openai')).toBe('open');
  });

  it('lists states for health reports', async () => {
    make(60_000);
    await attempt(registry.fire('google', ok));
    expect(registry.states()).toEqual({ google: 'closed' });
  });
});
