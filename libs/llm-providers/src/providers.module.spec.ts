import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { loadProvidersConfig } from './core/provider-config.js';
import { ProviderError } from './core/provider-error.js';
import { ProviderRegistry } from './core/provider-registry.js';
import { CircuitBreakerRegistry } from './core/resilience/circuit-breaker-registry.js';
import { ProviderCallCounter } from './core/resilience/provider-call-counter.js';
import { MockProvider } from './mock/mock.provider.js';
import { withHiddenQuality } from './mock/hidden-quality.js';
import { LlmProvidersModule } from './providers.module.js';

async function boot(env: Record<string, string> = {}) {
  const config = loadProvidersConfig({ MOCK_LATENCY_MS: '0', ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [LlmProvidersModule.forRoot(config, { sleep: async () => undefined })],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('LlmProvidersModule', () => {
  it('registers every provider and reports which are usable', async () => {
    const moduleRef = await boot({
      ANTHROPIC_API_KEY: 'sk-test',
      OPENAI_BATCH_ENABLED: 'false',
      OPENAI_API_KEY: 'k',
    });
    const registry = moduleRef.get(ProviderRegistry);
    expect(registry.availability()).toEqual({
      anthropic: { configured: true, batch_enabled: true, circuit: 'closed' },
      openai: { configured: true, batch_enabled: false, circuit: 'closed' },
      google: { configured: false, batch_enabled: true, circuit: 'closed' },
      openrouter: { configured: false, batch_enabled: true, circuit: 'closed' },
      mock: { configured: true, batch_enabled: true, circuit: 'closed' },
    });
    expect(registry.get('mock')).toBe(moduleRef.get(MockProvider));
    await moduleRef.close();
  });

  it('throws typed errors for unknown and unconfigured providers', async () => {
    const moduleRef = await boot();
    const registry = moduleRef.get(ProviderRegistry);
    const codeOf = (name: string) => {
      try {
        registry.get(name);
      } catch (err) {
        return err instanceof ProviderError ? err.code : 'untyped';
      }
      return 'none';
    };
    expect(codeOf('cohere')).toBe('INVALID_REQUEST');
    expect(codeOf('google')).toBe('PROVIDER_NOT_CONFIGURED');
    await moduleRef.close();
  });

  it('shares one call counter and breaker registry across providers', async () => {
    const moduleRef = await boot();
    const mock = moduleRef.get(ProviderRegistry).get('mock');
    await mock.generateComparison(
      {
        comparison_id: 'c1',
        user_prompt: 'Judge.',
        essay_a: withHiddenQuality('A', 0.9),
        essay_b: withHiddenQuality('B', 0.1),
      },
      {},
    );
    expect(moduleRef.get(ProviderCallCounter).count('mock', 'comparison')).toBe(1);
    expect(moduleRef.get(CircuitBreakerRegistry).states()).toEqual({ mock: 'closed' });
    await moduleRef.close();
  });
});
