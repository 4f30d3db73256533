import { Inject, Injectable, Optional } from '@nestjs/common';
import { PROVIDER_NAMES, type ProviderName } from '#contracts';
import { CircuitStateStore, worstCircuitState } from '#batch-store';
import { ProviderRegistry, type CircuitState, type ProviderAvailability } from '#llm-providers';

/** A read of providers' shared circuit states, started before it is needed (see readAhead). */
export interface SharedCircuitRead {
  /** The providers read. */
  readonly providers: readonly ProviderName[];
  /** Their states (a provider without a stored state is absent). */
  readonly states: Promise<Partial<Record<ProviderName, CircuitState>>>;
}

/**
 * Provider availability as the acceptance path must see it: the API's own breakers (its direct runs' calls) and
 * the workers' (shared through Redis by CircuitStateStore); the worse of the two states counts. Without a store (specs over in-memory storage) or when Redis cannot be read, the in-process
 * state alone is used.
 */
@Injectable()
export class ProviderAvailabilityService {
  constructor(
    @Inject(ProviderRegistry) private readonly registry: ProviderRegistry,
    @Optional() @Inject(CircuitStateStore) private readonly circuits?: CircuitStateStore,
  ) {}

  /**
   * One provider's availability: what an acceptance needs (one Redis read, not one per provider). `ahead` is a
   * read of the shared state started earlier (readAhead), used when it is of this provider.
   */
  async availabilityOf(provider: ProviderName, ahead?: SharedCircuitRead): Promise<ProviderAvailability> {
    const local = this.registry.availability()[provider];
    const shared = ahead?.providers.includes(provider)
      ? (await ahead.states)[provider]
      : await this.readShared(provider);
    return { ...local, circuit: worstCircuitState(local.circuit, shared) };
  }

  /**
   * Starts reading `provider`'s shared circuit state now, so that it travels to Redis with other commands issued
   * in the same tick (ioredis sends them in one write) instead of in a round trip of its own later.
   */
  readAhead(provider: ProviderName): SharedCircuitRead {
    const states = this.readShared(provider).then((state) => (state ? { [provider]: state } : {}));
    return { providers: [provider], states };
  }

  /**
   * Every provider's shared state read now (one GET each, sent in the same write): an admission made before the
   * body names its provider has the state of whichever one the request picks.
   */
  readAheadAll(): SharedCircuitRead {
    const states = this.circuits?.readAll().catch(() => ({})) ?? Promise.resolve({});
    return { providers: PROVIDER_NAMES, states };
  }

  async availability(): Promise<Record<ProviderName, ProviderAvailability>> {
    const local = this.registry.availability();
    const shared: Partial<Record<ProviderName, CircuitState>> =
      (await this.circuits?.readAll().catch(() => undefined)) ?? {};
    const merged = Object.entries(local).map(([name, state]) => [
      name,
      { ...state, circuit: worstCircuitState(state.circuit, shared[name as ProviderName]) },
    ]);
    return Object.fromEntries(merged) as Record<ProviderName, ProviderAvailability>;
  }

  /** Never rejects: a state that cannot be read does not count. */
  private readShared(provider: ProviderName): Promise<CircuitState | undefined> {
    return this.circuits?.read(provider).catch(() => undefined) ?? Promise.resolve(undefined);
  }
}
