import { describe, expect, it } from '@jest/globals';
import { CircuitBreakerRegistry, loadProvidersConfig, MockProvider, ProviderRegistry } from '#llm-providers';
import { createTestProviderDeps } from '#llm-providers/testing';
import { ProviderAvailabilityService } from './provider-availability.service.js';
import { ProvidersStatusService } from './providers-status.service.js';

const DEC_1_2026 = Date.parse('2026-12-01T12:00:00Z');

function statusService(env: Record<string, string>, now: number): ProvidersStatusService {
  const config = loadProvidersConfig(env, { now });
  const registry = new ProviderRegistry(
    [new MockProvider(createTestProviderDeps().deps)],
    new CircuitBreakerRegistry(config.breaker),
  );
  return new ProvidersStatusService(config, new ProviderAvailabilityService(registry), () => now);
}

describe('ProvidersStatusService (GET /api/v1/providers)', () => {
  it("shows a default model within 30 days of its shutdown as near_retirement, with the catalog's date", async () => {
    const listed = await statusService({ OPENAI_MODEL: 'gpt-5-mini' }, DEC_1_2026).list();
    const openai = listed.providers.find((p) => p.name === 'openai')!;
    expect(openai.default_model).toBe('gpt-5-mini');
    expect(openai.default_model_retirement).toEqual({
      state: 'near_retirement',
      retires_on: '2026-12-11',
      days_left: 10,
      replacement: 'gpt-5.4-mini',
    });
    const anthropic = listed.providers.find((p) => p.name === 'anthropic')!;
    expect(anthropic.default_model_retirement).toMatchObject({ state: 'active', retires_on: null });
  });

  it('reports an allowed unlisted default model with no lifecycle (null)', async () => {
    const listed = await statusService(
      { OPENAI_MODEL: 'ft:gpt-5.4-mini:acme::x1', OPENAI_ALLOW_UNLISTED_MODELS: 'true' },
      DEC_1_2026,
    ).list();
    expect(listed.providers.find((p) => p.name === 'openai')!.default_model_retirement).toBeNull();
  });
});
