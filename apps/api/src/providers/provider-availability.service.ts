import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ProviderName } from '#contracts';
import { CircuitStateStore, worstCircuitState } from '#batch-store';
import { ProviderRegistry, type CircuitState, type ProviderAvailability } from '#llm-providers';

/** A read of one provider's shared circuit state, started before it is needed (see readAhead). */
export interface SharedCircuitRead {
  readonly provider: ProviderName;
  readonly state: Promise<CircuitState | undefined>;
}

/**
 * Provider availability as the acceptance path must see it. The API never calls providers, so its own breakers
 * stay closed; the worker's breakers (shared through Redis by CircuitStateStore) decide. The worse of the two
 * states counts. Without a store (specs over in-memory storage) or when Redis cannot be read, the in-process
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
    const shared = await (ahead?.provider === provider ? ahead.state : this.readShared(provider));
    return { ...local, circuit: worstCircuitState(local.circuit, shared) };
  }

  /**
   * Starts reading `provider`'s shared circuit state now, so that it travels to Redis with other commands issued
   * in the same tick (ioredis sends them in one write) instead of in a round trip of its own later.
   */
  readAhead(provider: ProviderName): SharedCircuitRead {
    return { provider, state: this.readShared(provider) };
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
