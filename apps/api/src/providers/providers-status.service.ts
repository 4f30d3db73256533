import { Inject, Injectable } from '@nestjs/common';
import { PROVIDER_NAMES, type ProviderName, type ProvidersResponseDto } from '#contracts';
import {
  findModel,
  PROVIDERS_CLOCK,
  PROVIDERS_CONFIG,
  retirementStatus,
  type ProvidersConfig,
} from '#llm-providers';
import { ProviderAvailabilityService } from './provider-availability.service.js';

/** Each provider's configured/available state and circuit state, as the acceptance path sees them. */
@Injectable()
export class ProvidersStatusService {
  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    @Inject(ProviderAvailabilityService) private readonly providers: ProviderAvailabilityService,
    @Inject(PROVIDERS_CLOCK) private readonly clock: () => number,
  ) {}

  async list(): Promise<ProvidersResponseDto> {
    const availability = await this.providers.availability();
    const now = this.clock();
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
          default_model_retirement: this.retirement(name, now),
        };
      }),
    };
  }

  /** The default model's lifecycle: near_retirement within 30 days of its shutdown date; null when unlisted. */
  private retirement(name: ProviderName, now: number) {
    const model = findModel(name, this.config.providers[name].defaultModel);
    return model ? retirementStatus(model, now) : null;
  }
}
