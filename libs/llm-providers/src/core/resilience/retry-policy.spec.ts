import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../provider-error.js';
import { RetryPolicy, provesNotProcessed } from './retry-policy.js';

const settings = { attempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000 };
const identity = (err: unknown) => err as ProviderError;

function failingTimes<T>(failures: ProviderError[], result: T) {
  let calls = 0;
  const fn = async () => {
    calls += 1;
    if (calls <= failures.length) throw failures[calls - 1];
    return result;
  };
  return { fn, calls: () => calls };
}

describe('RetryPolicy', () => {
  it('retries retryable errors with full-jitter exponential delays', async () => {
    const sleeps: number[] = [];
    const policy = new RetryPolicy(settings, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    const { fn, calls } = failingTimes(
      [new ProviderError('TIMEOUT', 't'), new ProviderError('CONNECTION_ERROR', 'c')],
      'ok',
    );
    await expect(policy.execute(fn, identity)).resolves.toBe('ok');
    expect(calls()).toBe(3);
    expect(sleeps).toEqual([500, 1_000]); // 0.5 × 1000, 0.5 × 2000
  });

  it('keeps every jittered delay within [0, min(max, base·2^(n-1))]', () => {
    const error = new ProviderError('EXTERNAL_SERVICE_ERROR', 'x');
    const wide = new RetryPolicy(
      { attempts: 10, baseDelayMs: 1_000, maxDelayMs: 5_000 },
      { random: () => 0.999999 },
    );
    const none = new RetryPolicy(
      { attempts: 10, baseDelayMs: 1_000, maxDelayMs: 5_000 },
      { random: () => 0 },
    );
    expect([1, 2, 3, 4, 5].map((n) => wide.delayFor(n, error))).toEqual([999, 1_999, 3_999, 4_999, 4_999]);
    expect([1, 2, 3].map((n) => none.delayFor(n, error))).toEqual([0, 0, 0]);
  });

  it('waits at least Retry-After, and gives up when it is longer than the maximum delay', () => {
    const policy = new RetryPolicy(settings, { random: () => 0.1 });
    expect(policy.delayFor(1, new ProviderError('RATE_LIMIT', 'r', { retryAfterMs: 7_000 }))).toBe(7_000);
    expect(
      policy.delayFor(1, new ProviderError('RATE_LIMIT', 'r', { retryAfterMs: 30_000 })),
    ).toBeUndefined();
  });

  it('throws the last error once attempts are used up', async () => {
    const sleeps: number[] = [];
    const policy = new RetryPolicy(settings, { sleep: async (ms) => void sleeps.push(ms), random: () => 0 });
    const errors = [1, 2, 3].map((n) => new ProviderError('RATE_LIMIT', `r${n}`));
    const { fn, calls } = failingTimes(errors, 'never');
    await expect(policy.execute(fn, identity)).rejects.toBe(errors[2]);
    expect(calls()).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it.each([
    ['a non-retryable error', new ProviderError('INVALID_REQUEST', 'bad')],
    ['an open circuit', new ProviderError('CIRCUIT_OPEN', 'open', { retryAfterMs: 10 })],
  ])('does not retry %s', async (_case, error) => {
    const policy = new RetryPolicy(settings, { sleep: async () => undefined });
    const { fn, calls } = failingTimes([error], 'never');
    await expect(policy.execute(fn, identity)).rejects.toBe(error);
    expect(calls()).toBe(1);
  });

  it('normalises unknown errors before deciding', async () => {
    const policy = new RetryPolicy(settings, { sleep: async () => undefined });
    let calls = 0;
    const fn = async () => {
      calls += 1;
      throw new Error('raw');
    };
    await expect(
      policy.execute(fn, () => new ProviderError('AUTHENTICATION_ERROR', 'no')),
    ).rejects.toMatchObject({
      code: 'AUTHENTICATION_ERROR',
    });
    expect(calls).toBe(1);
  });

  describe('for a non-idempotent call', () => {
    const refused = new ProviderError('CONNECTION_ERROR', 'refused', {
      cause: Object.assign(new Error('fetch failed'), {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      }),
    });
    const reset = new ProviderError('CONNECTION_ERROR', 'reset', {
      cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    });

    it.each([
      ['a rate limit', new ProviderError('RATE_LIMIT', 'r', { status: 429 })],
      ['a refused connection', refused],
    ])('retries %s, which proves the request was not processed', async (_case, error) => {
      const policy = new RetryPolicy(settings, { sleep: async () => undefined });
      const { fn, calls } = failingTimes([error], 'created');
      await expect(policy.execute(fn, identity, { idempotent: false })).resolves.toBe('created');
      expect(calls()).toBe(2);
      expect(provesNotProcessed(error)).toBe(true);
    });

    it.each([
      ['a timeout', new ProviderError('TIMEOUT', 't')],
      ['a 5xx', new ProviderError('EXTERNAL_SERVICE_ERROR', 'x', { status: 500 })],
      ['a reset connection', reset],
    ])('throws %s at once: the provider may have acted on it', async (_case, error) => {
      const sleeps: number[] = [];
      const policy = new RetryPolicy(settings, { sleep: async (ms) => void sleeps.push(ms) });
      const { fn, calls } = failingTimes([error], 'created');
      await expect(policy.execute(fn, identity, { idempotent: false })).rejects.toBe(error);
      expect(calls()).toBe(1);
      expect(sleeps).toEqual([]);
      expect(provesNotProcessed(error)).toBe(false);
      // The same error is retried in place for an idempotent call.
      const again = failingTimes([error], 'ok');
      await expect(policy.execute(again.fn, identity)).resolves.toBe('ok');
    });
  });

  it('backoff sleeps the policy delay and refuses once attempts are used up', async () => {
    const sleeps: number[] = [];
    const policy = new RetryPolicy(settings, {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    const error = new ProviderError('TIMEOUT', 't');
    expect(await policy.backoff(1, error)).toBe(true);
    expect(await policy.backoff(2, error)).toBe(true);
    expect(await policy.backoff(3, error)).toBe(false);
    expect(await policy.backoff(1, new ProviderError('INVALID_REQUEST', 'bad'))).toBe(false);
    expect(sleeps).toEqual([500, 1_000]);
  });
});
