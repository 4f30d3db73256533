import { Inject, Injectable } from '@nestjs/common';
import { PROVIDER_NAMES, type ProvidersResponseDto } from '#contracts';
import { PROVIDERS_CONFIG, ProviderRegistry, type ProvidersConfig } from '#llm-providers';

/** Each provider's configured/available state and circuit state, as the acceptance path sees them. */
@Injectable()
export class ProvidersStatusService {
  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    private readonly registry: ProviderRegistry,
  ) {}

  list(): ProvidersResponseDto {
    const availability = this.registry.availability();
    return {
      default_provider: this.config.defaultProvider,
      providers: PROVIDER_NAMES.map((name) => {
        const state = availability[name];
        return {
          name,
          configured: state.configured,
          available: state.configured && state.circuit !== 'open',
          circuit_state: state.circuit,
          batch_enabled: state.batch_enabled,
          default_model: this.config.providers[name].defaultModel,
        };
      }),
    };
  }
}
