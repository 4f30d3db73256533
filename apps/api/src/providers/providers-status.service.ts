import { Inject, Injectable } from '@nestjs/common';
import { PROVIDER_NAMES, type ProvidersResponseDto } from '#contracts';
import { PROVIDERS_CONFIG, type ProvidersConfig } from '#llm-providers';
import { ProviderAvailabilityService } from './provider-availability.service.js';

/** Each provider's configured/available state and circuit state, as the acceptance path sees them. */
@Injectable()
export class ProvidersStatusService {
  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    @Inject(ProviderAvailabilityService) private readonly providers: ProviderAvailabilityService,
  ) {}

  async list(): Promise<ProvidersResponseDto> {
    const availability = await this.providers.availability();
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
