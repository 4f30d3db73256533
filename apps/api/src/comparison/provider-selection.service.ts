import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { LlmConfigOverrides, ResolvedLlmConfig } from '#contracts';
import { PROVIDERS_CONFIG, ProviderError, resolveLlmConfig, type ProvidersConfig } from '#llm-providers';
import { ApiError } from '../http/api-error.js';
import {
  ProviderAvailabilityService,
  type SharedCircuitRead,
} from '../providers/provider-availability.service.js';

export interface ProviderSelection {
  config: ResolvedLlmConfig;
  /** Whether the provider's batch API will be used (else capped individual calls). */
  batchApi: boolean;
}

/**
 * Resolves provider/model/settings once, at acceptance (the snapshot stored with the batch), and refuses a
 * provider that cannot take work now: unknown → 400, no credentials → 503, circuit open (here or, through Redis,
 * in the worker that calls the providers) → 503.
 */
@Injectable()
export class ProviderSelectionService {
  constructor(
    @Inject(PROVIDERS_CONFIG) private readonly providersConfig: ProvidersConfig,
    @Inject(ProviderAvailabilityService) private readonly providers: ProviderAvailabilityService,
  ) {}

  /** `circuit`: the shared circuit state read ahead, when the caller started one (used if of the chosen provider). */
  async select(
    overrides: LlmConfigOverrides | undefined,
    configField = 'llm_config_overrides',
    circuit?: SharedCircuitRead,
  ): Promise<ProviderSelection> {
    const config = this.resolve(overrides ?? {}, configField);
    const state = await this.providers.availabilityOf(config.provider, circuit);
    if (!state.configured) {
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'PROVIDER_NOT_CONFIGURED',
        `Provider "${config.provider}" is not configured on this deployment`,
        { field: `${configField}.provider_override`, details: { provider: config.provider } },
      );
    }
    if (state.circuit === 'open') {
      const retryAfterSeconds = Math.ceil(this.providersConfig.breaker.resetTimeoutMs / 1000);
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'CIRCUIT_OPEN',
        `Provider "${config.provider}" is failing; its circuit breaker is open`,
        { details: { provider: config.provider }, retryAfterSeconds },
      );
    }
    return { config, batchApi: state.batch_enabled };
  }

  /** Provider/model/settings for `overrides`; a bad value is a 400 naming `<configField>.<field>`. */
  resolve(overrides: LlmConfigOverrides, configField = 'llm_config_overrides'): ResolvedLlmConfig {
    // resolveLlmConfig also checks model_override against the provider's model catalog (400 naming it).
    let config: ResolvedLlmConfig;
    try {
      config = resolveLlmConfig(overrides, this.providersConfig);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'INVALID_REQUEST') {
        const field =
          typeof err.details?.field === 'string' ? `${configField}.${err.details.field}` : undefined;
        throw ApiError.invalid(field, err.message, err.details);
      }
      throw err;
    }
    return config;
  }
}
