import { describe, expect, it } from '@jest/globals';
import type { LlmConfigOverrides } from '#contracts';
import { resolveLlmConfig, toOverrides } from './config-resolver.js';
import { loadProvidersConfig } from './provider-config.js';
import { ProviderError } from './provider-error.js';

const config = loadProvidersConfig({ LLM_DEFAULT_PROVIDER: 'openai', ANTHROPIC_MODEL: 'claude-haiku-4-5' });

describe('resolveLlmConfig', () => {
  it('fills every field from the defaults', () => {
    expect(resolveLlmConfig({}, config)).toEqual({
      provider: 'openai',
      model: 'gpt-5.4-mini',
      temperature: 0.7,
      max_tokens: 4096,
      system_prompt: config.defaults.systemPrompt,
      // gpt-5.4-mini is a reasoning model: the temperature is recorded but not sent.
      temperature_applied: false,
    });
  });

  it('takes the default model of the overriding provider', () => {
    expect(resolveLlmConfig({ provider_override: 'anthropic' }, config).model).toBe('claude-haiku-4-5');
  });

  it('keeps explicit overrides, including a temperature of 0', () => {
    const resolved = resolveLlmConfig(
      {
        model_override: 'gpt-5.4-mini-2026-03-17',
        temperature_override: 0,
        max_tokens_override: 100,
        system_prompt_override: 'Be brief.',
      },
      config,
    );
    expect(resolved).toMatchObject({
      model: 'gpt-5.4-mini-2026-03-17',
      temperature: 0,
      max_tokens: 100,
      system_prompt: 'Be brief.',
    });
  });

  it('round-trips through toOverrides', () => {
    const resolved = resolveLlmConfig({ provider_override: 'google', temperature_override: 0.2 }, config);
    expect(resolveLlmConfig(toOverrides(resolved), loadProvidersConfig({}))).toEqual(resolved);
  });

  it.each<[string, LlmConfigOverrides]>([
    ['unknown provider', { provider_override: 'cohere' as never }],
    ['temperature above 2', { temperature_override: 2.5 }],
    ['negative temperature', { temperature_override: -0.1 }],
    ['fractional max tokens', { max_tokens_override: 10.5 }],
    ['zero max tokens', { max_tokens_override: 0 }],
  ])('rejects %s as INVALID_REQUEST', (_case, overrides) => {
    expect(() => resolveLlmConfig(overrides, config)).toThrow(ProviderError);
    try {
      resolveLlmConfig(overrides, config);
    } catch (err) {
      expect((err as ProviderError).code).toBe('INVALID_REQUEST');
      expect((err as ProviderError).retryable).toBe(false);
    }
  });
});
