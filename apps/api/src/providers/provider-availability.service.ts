import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ProviderName } from '#contracts';
import { CircuitStateStore, worstCircuitState } from '#batch-store';
import { ProviderRegistry, type CircuitState, type ProviderAvailability } from '#llm-providers';

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

  /** One provider's availability: what an acceptance needs (one Redis read, not one per provider). */
  async availabilityOf(provider: ProviderName): Promise<ProviderAvailability> {
    const local = this.registry.availability()[provider];
    const shared = await this.circuits?.read(provider).catch(() => undefined);
    return { ...local, circuit: worstCircuitState(local.circuit, shared) };
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
}
