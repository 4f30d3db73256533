import { describe, expect, it } from '@jest/globals';
import { PROVIDER_NAMES } from '#contracts';
import { catalogModels, checkModel, findModel, retirementStatus } from './model-catalog.js';
import { loadProvidersConfig, modelRetirementWarnings } from './provider-config.js';
import { resolveLlmConfig } from './config-resolver.js';
import { ProviderConfigError } from './provider-config-error.js';
import { ProviderError } from './provider-error.js';

const at = (date: string) => Date.parse(`${date}T12:00:00Z`);
/** The day the issue asked the defaults to be current on. */
const DEC_1_2026 = at('2026-12-01');

describe('model catalog', () => {
  it('finds models by id and by dated alias, per provider', () => {
    expect(findModel('openai', 'gpt-5-mini-2025-08-07')?.id).toBe('gpt-5-mini');
    expect(findModel('anthropic', 'claude-sonnet-4-5-20250929')?.id).toBe('claude-sonnet-4-5');
    expect(findModel('openai', 'claude-sonnet-4-6')).toBeUndefined();
    expect(findModel('openai', 'gpt-5-mini-unknown')).toBeUndefined();
  });

  it('has one row per (provider, id) with sane limits and prices', () => {
    const keys = catalogModels().map((m) => `${m.provider}/${m.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const model of catalogModels()) {
      expect(model.max_output_tokens).toBeLessThanOrEqual(model.context_window);
      if (model.pricing) expect(model.pricing.output).toBeGreaterThan(0);
      if (model.retires_on) expect(model.retires_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('dates retirements from the shared table: near within 30 days, retired from the shutdown day', () => {
    const gpt5mini = findModel('openai', 'gpt-5-mini')!;
    expect(retirementStatus(gpt5mini, at('2026-10-01')).state).toBe('active');
    expect(retirementStatus(gpt5mini, DEC_1_2026)).toEqual({
      state: 'near_retirement',
      retires_on: '2026-12-11',
      days_left: 10,
      replacement: 'gpt-5.4-mini',
    });
    expect(retirementStatus(gpt5mini, Date.parse('2026-12-11T00:00:00Z')).state).toBe('retired');
    const sonnet45 = findModel('anthropic', 'claude-sonnet-4-5')!;
    expect(retirementStatus(sonnet45, DEC_1_2026).state).toBe('retired');
  });

  it('refuses a retired or unlisted model naming the field; an allowed unlisted model passes', () => {
    const refuse = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err as ProviderError;
      }
      throw new Error('expected a refusal');
    };
    const retired = refuse(() =>
      checkModel('anthropic', 'claude-sonnet-4-5', { allowUnlisted: true, now: DEC_1_2026 }),
    );
    expect(retired).toBeInstanceOf(ProviderError);
    expect(retired.code).toBe('INVALID_REQUEST');
    expect(retired.details).toMatchObject({ field: 'model_override', reason: 'retired_model' });
    expect(retired.message).toContain('claude-sonnet-4-6');
    const unlisted = refuse(() => checkModel('openai', 'gpt-9', { allowUnlisted: false, now: DEC_1_2026 }));
    expect(unlisted.details).toMatchObject({ field: 'model_override', reason: 'unlisted_model' });
    expect(checkModel('openai', 'gpt-9', { allowUnlisted: true, now: DEC_1_2026 })).toEqual({
      retirement: null,
    });
  });

  it('every default model is listed and current on 2026-12-01 (none retires within 30 days)', () => {
    const config = loadProvidersConfig({}, { now: DEC_1_2026 });
    for (const provider of PROVIDER_NAMES) {
      const model = findModel(provider, config.providers[provider].defaultModel);
      expect(model).toBeDefined();
      expect(retirementStatus(model!, DEC_1_2026).state).toBe('active');
    }
    expect(modelRetirementWarnings(config, DEC_1_2026)).toEqual([]);
  });

  it('stops start-up on a retired or unlisted default model, naming the variable', () => {
    expect(() => loadProvidersConfig({ ANTHROPIC_MODEL: 'claude-sonnet-4-5' }, { now: DEC_1_2026 })).toThrow(
      ProviderConfigError,
    );
    expect(() => loadProvidersConfig({ OPENAI_MODEL: 'gpt-9' }, { now: DEC_1_2026 })).toThrow(
      /^OPENAI_MODEL:/,
    );
    const allowed = loadProvidersConfig(
      { OPENAI_MODEL: 'gpt-9', OPENAI_ALLOW_UNLISTED_MODELS: 'true' },
      { now: DEC_1_2026 },
    );
    expect(allowed.providers.openai.defaultModel).toBe('gpt-9');
  });

  it('warns about a configured default model within 30 days of retirement', () => {
    const config = loadProvidersConfig({ OPENAI_MODEL: 'gpt-5-mini' }, { now: DEC_1_2026 });
    expect(modelRetirementWarnings(config, DEC_1_2026)).toEqual([
      expect.objectContaining({
        provider: 'openai',
        model: 'gpt-5-mini',
        variable: 'OPENAI_MODEL',
        state: 'near_retirement',
        days_left: 10,
      }),
    ]);
  });

  it('resolving a request refuses a retired model_override at the time of the request', () => {
    const config = loadProvidersConfig({}, { now: DEC_1_2026 });
    expect(() =>
      resolveLlmConfig(
        { provider_override: 'openai', model_override: 'gpt-5-mini' },
        config,
        at('2026-12-12'),
      ),
    ).toThrow(/retired by openai on 2026-12-11/);
    expect(
      resolveLlmConfig({ provider_override: 'openai', model_override: 'gpt-5-mini' }, config, DEC_1_2026)
        .model,
    ).toBe('gpt-5-mini');
  });
});
