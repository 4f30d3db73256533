import { PROVIDER_NAMES, type ProviderName } from '#contracts';
import { isProviderName } from './config-resolver.js';
import type { LlmProvider } from './llm-provider.js';
import { ProviderError } from './provider-error.js';
import type { CircuitBreakerRegistry, CircuitState } from './resilience/circuit-breaker-registry.js';

export interface ProviderAvailability {
  configured: boolean;
  batch_enabled: boolean;
  circuit: CircuitState;
}

/** Looks providers up by name; the only way apps reach a provider. */
export class ProviderRegistry {
  private readonly providers: Map<ProviderName, LlmProvider>;

  constructor(
    providers: LlmProvider[],
    private readonly breakers: CircuitBreakerRegistry,
  ) {
    this.providers = new Map(providers.map((provider) => [provider.name, provider]));
  }

  /** Throws INVALID_REQUEST for an unknown name and PROVIDER_NOT_CONFIGURED for a known one without credentials. */
  get(name: string): LlmProvider {
    if (!isProviderName(name)) {
      throw new ProviderError('INVALID_REQUEST', `Unknown provider "${name}"`, {
        details: { allowed: [...PROVIDER_NAMES] },
      });
    }
    const provider = this.providers.get(name);
    if (!provider || !provider.isConfigured()) {
      throw new ProviderError('PROVIDER_NOT_CONFIGURED', `Provider "${name}" is not configured`, {
        provider: name,
      });
    }
    return provider;
  }

  isAvailable(name: ProviderName): boolean {
    return this.providers.get(name)?.isConfigured() ?? false;
  }

  /** For health endpoints and metrics: every known provider, registered or not. */
  availability(): Record<ProviderName, ProviderAvailability> {
    return Object.fromEntries(
      PROVIDER_NAMES.map((name) => {
        const provider = this.providers.get(name);
        return [
          name,
          {
            configured: provider?.isConfigured() ?? false,
            batch_enabled: provider?.supportsBatch() ?? false,
            circuit: this.breakers.state(name),
          },
        ];
      }),
    ) as Record<ProviderName, ProviderAvailability>;
  }
}
