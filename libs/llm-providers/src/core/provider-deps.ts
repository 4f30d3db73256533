import type { ProvidersConfig } from './provider-config.js';
import type { ProviderCallCounter } from './resilience/provider-call-counter.js';
import type { ResilientCaller } from './resilience/resilient-caller.js';
import type { Sleep } from './resilience/retry-policy.js';

/** What every provider class is constructed with: `new XProvider(deps)`. */
export interface ProviderDeps {
  config: ProvidersConfig;
  /** Every provider HTTP call goes through `caller.call(provider, operation, fn)`. */
  caller: ResilientCaller;
  /** Already fed by the caller (one count per attempt); use directly only for calls made outside it. */
  counter: ProviderCallCounter;
  /** Milliseconds since epoch; injectable for tests and the mock's simulated batch clock. */
  clock?: () => number;
  /** Used between batch polls; injectable so tests do not wait. */
  sleep?: Sleep;
}
