import { afterEach, describe, expect, it } from '@jest/globals';
import { ProviderError } from '../provider-error.js';
import { CircuitBreakerRegistry } from './circuit-breaker-registry.js';
import { type ProviderCallEvent, ProviderCallCounter } from './provider-call-counter.js';
import { RequestNotSentError } from '../send-gate.js';
import { ResilientCaller } from './resilient-caller.js';
import { RetryPolicy } from './retry-policy.js';

const status = (code: number) => Object.assign(new Error(`HTTP ${code}`), { status: code, headers: {} });

describe('ResilientCaller', () => {
  let breakers: CircuitBreakerRegistry;
  afterEach(() => breakers.shutdown());

  function make(failuresToOpen = 3) {
    breakers = new CircuitBreakerRegistry({ failuresToOpen, resetTimeoutMs: 60_000, successesToClose: 2 });
    const counter = new ProviderCallCounter();
    const sleeps: number[] = [];
    const retry = new RetryPolicy(
      { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 },
      { sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    );
    return { caller: new ResilientCaller(retry, breakers, counter), counter, sleeps };
  }

  it('retries transient HTTP failures and counts every attempt', async () => {
    const { caller, counter, sleeps } = make();
    const events: ProviderCallEvent[] = [];
    counter.onCall((event) => events.push(event));
    let calls = 0;
    const result = await caller.call('anthropic', 'batch.create', async () => {
      calls += 1;
      if (calls < 3) throw status(529);
      return 'created';
    });
    expect(result).toBe('created');
    expect(sleeps).toHaveLength(2);
    expect(counter.count('anthropic', 'batch.create')).toBe(3);
    expect(counter.snapshot()).toEqual([
      { provider: 'anthropic', operation: 'batch.create', calls: 3, errors: 2 },
    ]);
    expect(events.map((e) => [e.outcome, e.error_code])).toEqual([
      ['error', 'EXTERNAL_SERVICE_ERROR'],
      ['error', 'EXTERNAL_SERVICE_ERROR'],
      ['success', undefined],
    ]);
  });

  it('throws non-retryable errors normalised, after one call', async () => {
    const { caller, counter } = make();
    const error = await caller
      .call('openai', 'comparison', () => Promise.reject(status(401)))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'AUTHENTICATION_ERROR', provider: 'openai' });
    expect(counter.count('openai')).toBe(1);
  });

  it('passes a request its send gate refused on as CANCELED: not retried, not counted, no mark on the circuit', async () => {
    const { caller, counter, sleeps } = make(1);
    let calls = 0;
    // As the SDKs hand it over: their connection error, caused by what the fetch threw.
    const wrapped = () => {
      calls += 1;
      return Promise.reject(new Error('Connection error.', { cause: new RequestNotSentError() }));
    };
    const error = await caller.call('openai', 'comparison', wrapped).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'CANCELED', retryable: false, provider: 'openai' });
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
    expect(counter.count('openai')).toBe(0);
    // One real failure opens this circuit (failuresToOpen 1): the refused request left it closed.
    expect(breakers.state('openai')).toBe('closed');
  });

  it('stops retrying once its own failures open the circuit', async () => {
    const { caller, counter } = make(2);
    const error = await caller
      .call('google', 'batch.status', () => Promise.reject(status(503)))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(counter.count('google')).toBe(2); // the third attempt never reached the provider
    expect(breakers.state('google')).toBe('open');
  });

  it('keeps working when a metrics listener throws', async () => {
    const { caller, counter } = make();
    counter.onCall(() => {
      throw new Error('listener bug');
    });
    await expect(caller.call('mock', 'comparison', async () => 1)).resolves.toBe(1);
  });

  it('does not repeat a non-idempotent call after an ambiguous failure, but does after a 429', async () => {
    const { caller, counter, sleeps } = make();
    const error = await caller
      .call('openai', 'batch.create', () => Promise.reject(status(502)), { idempotent: false })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXTERNAL_SERVICE_ERROR', status: 502 });
    expect(counter.count('openai', 'batch.create')).toBe(1);
    expect(sleeps).toEqual([]);

    let calls = 0;
    const created = await caller.call(
      'openai',
      'batch.create',
      async () => {
        calls += 1;
        if (calls === 1) throw status(429);
        return 'created';
      },
      { idempotent: false },
    );
    expect(created).toBe('created');
    expect(counter.count('openai', 'batch.create')).toBe(3);
  });
});
