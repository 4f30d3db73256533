import {
  PROVIDER_NAMES,
  type LlmConfigOverrides,
  type ProviderName,
  type ResolvedLlmConfig,
} from '#contracts';
import { checkModel, temperatureApplied } from './model-catalog.js';
import type { ProvidersConfig } from './provider-config.js';
import { ProviderError } from './provider-error.js';

export const TEMPERATURE_RANGE = { min: 0, max: 2 } as const;
export const MAX_TOKENS_RANGE = { min: 1, max: 200_000 } as const;

/**
 * Fills every setting a call needs, from the caller's overrides and the configured defaults. Done once when a
 * batch is accepted; the result is stored with the batch so later default changes cannot affect it. The model must
 * be in the catalog (or the provider allows unlisted models) and not retired on `now`: otherwise
 * INVALID_REQUEST naming `model_override`, which the API answers with 400.
 */
export function resolveLlmConfig(
  overrides: LlmConfigOverrides,
  config: ProvidersConfig,
  now: number = Date.now(),
): ResolvedLlmConfig {
  const provider = overrides.provider_override ?? config.defaultProvider;
  if (!isProviderName(provider)) {
    throw new ProviderError('INVALID_REQUEST', `Unknown provider "${String(provider)}"`, {
      details: { field: 'provider_override', allowed: [...PROVIDER_NAMES] },
    });
  }
  const model = overrides.model_override?.trim() || config.providers[provider].defaultModel;
  const temperature = overrides.temperature_override ?? config.defaults.temperature;
  const maxTokens = overrides.max_tokens_override ?? config.defaults.maxTokens;
  const systemPrompt = overrides.system_prompt_override?.trim() || config.defaults.systemPrompt;

  assertInRange('temperature_override', temperature, TEMPERATURE_RANGE, false);
  assertInRange('max_tokens_override', maxTokens, MAX_TOKENS_RANGE, true);
  checkModel(provider, model, { allowUnlisted: config.providers[provider].allowUnlistedModels, now });
  return {
    provider,
    model,
    temperature,
    max_tokens: maxTokens,
    system_prompt: systemPrompt,
    temperature_applied: temperatureApplied(provider, model),
  };
}

/** The stored config as overrides: passing it to a provider reproduces it exactly. */
export function toOverrides(resolved: ResolvedLlmConfig): LlmConfigOverrides {
  return {
    provider_override: resolved.provider,
    model_override: resolved.model,
    temperature_override: resolved.temperature,
    max_tokens_override: resolved.max_tokens,
    system_prompt_override: resolved.system_prompt,
  };
}

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

function assertInRange(
  field: string,
  value: number,
  range: { min: number; max: number },
  integer: boolean,
): void {
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!integer || Number.isInteger(value));
  if (!valid) {
    throw new ProviderError(
      'INVALID_REQUEST',
      `${field} must be ${integer ? 'an integer' : 'a number'} in [${range.min}, ${range.max}]`,
      { details: { field, value } },
    );
  }
}
