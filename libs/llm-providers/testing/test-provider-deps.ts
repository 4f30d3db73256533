import type { ProviderName } from '#contracts';
import {
  loadProvidersConfig,
  type ProviderSettings,
  type ProvidersConfig,
} from '../src/core/provider-config.js';
import type { ProviderDeps } from '../src/core/provider-deps.js';
import { CircuitBreakerRegistry } from '../src/core/resilience/circuit-breaker-registry.js';
import { ProviderCallCounter } from '../src/core/resilience/provider-call-counter.js';
import { ResilientCaller } from '../src/core/resilience/resilient-caller.js';
import { RetryPolicy } from '../src/core/resilience/retry-policy.js';

export interface TestProviderDepsOptions {
  /** Environment variables read by loadProvidersConfig (e.g. ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL). */
  env?: Record<string, string | undefined>;
  /** Applied after the env: changes to individual providers' settings. */
  providers?: Partial<Record<ProviderName, Partial<ProviderSettings>>>;
  /** Applied last to the whole config. */
  patch?: (config: ProvidersConfig) => ProvidersConfig;
  clock?: () => number;
  /** Defaults to an instant sleep so retries and polls do not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface TestProviderDeps {
  deps: ProviderDeps;
  config: ProvidersConfig;
  counter: ProviderCallCounter;
  breakers: CircuitBreakerRegistry;
  /** Every delay the retry policy and the providers asked for, in order. */
  sleeps: number[];
  /** Stops breaker timers; call in afterEach/afterAll. */
  close(): void;
}

/** Real resilience pieces with instant sleeps and 0 ms poll intervals: what provider specs construct with. */
export function createTestProviderDeps(options: TestProviderDepsOptions = {}): TestProviderDeps {
  let config = loadProvidersConfig({ MOCK_LATENCY_MS: '0', ...options.env });
  for (const settings of Object.values(config.providers)) settings.pollIntervalMs = 0;
  for (const [name, changes] of Object.entries(options.providers ?? {})) {
    const provider = name as ProviderName;
    config.providers[provider] = { ...config.providers[provider], ...changes };
  }
  config = options.patch ? options.patch(config) : config;

  const sleeps: number[] = [];
  const sleep =
    options.sleep ??
    (async (ms: number) => {
      sleeps.push(ms);
    });
  const counter = new ProviderCallCounter();
  const breakers = new CircuitBreakerRegistry(config.breaker, options.clock);
  const retry = new RetryPolicy(config.retry, { sleep });
  const caller = new ResilientCaller(retry, breakers, counter, options.clock);
  return {
    deps: { config, caller, counter, clock: options.clock, sleep },
    config,
    counter,
    breakers,
    sleeps,
    close: () => breakers.shutdown(),
  };
}
