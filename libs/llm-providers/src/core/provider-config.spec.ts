import { describe, expect, it } from '@jest/globals';
import { loadProvidersConfig } from './provider-config.js';
import { ProviderConfigError } from './provider-config-error.js';

function configError(env: Record<string, string>): ProviderConfigError {
  try {
    loadProvidersConfig(env);
  } catch (err) {
    if (err instanceof ProviderConfigError) return err;
    throw err;
  }
  throw new Error('expected a ProviderConfigError');
}

describe('loadProvidersConfig', () => {
  it('uses the platform defaults when nothing is set', () => {
    const config = loadProvidersConfig({});
    expect(config.defaultProvider).toBe('mock');
    expect(config.batchProcessingEnabled).toBe(true);
    expect(config.defaults).toMatchObject({ temperature: 0.7, maxTokens: 4096 });
    expect(config.retry).toEqual({ attempts: 3, baseDelayMs: 4_000, maxDelayMs: 60_000 });
    expect(config.breaker).toEqual({ failuresToOpen: 3, resetTimeoutMs: 120_000, successesToClose: 2 });
    expect(config.providers.anthropic.apiKey).toBeUndefined();
    expect(config.providers.anthropic.limits).toEqual({
      maxRequestsPerBatch: 100_000,
      maxBytesPerBatch: 256_000_000,
    });
    expect(config.providers.openrouter.limits.maxRequestsPerBatch).toBe(5_000);
    expect(config.mock).toEqual({
      enabled: true,
      latencyMs: 2_000,
      errorRate: 0,
      expiryRate: 0,
      seed: 42,
      justificationChars: 0,
    });
  });

  it('reads keys, base URLs and per-provider settings', () => {
    const config = loadProvidersConfig({
      ANTHROPIC_API_KEY: 'sk-ant',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4010/',
      GEMINI_API_KEY: 'g-key',
      GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:4011',
      OPENAI_MODEL: 'ft:gpt-5.4-mini:acme::abc123',
      OPENAI_ALLOW_UNLISTED_MODELS: 'true',
      OPENROUTER_BATCH_ENABLED: 'false',
      OPENAI_MAX_BATCH_REQUESTS: '1000',
      GEMINI_MAX_BATCH_BYTES: '5000000',
      BATCH_PROCESSING_ENABLED: 'no',
      LLM_DEFAULT_PROVIDER: 'anthropic',
      MOCK_ERROR_RATE: '0.25',
      MOCK_SEED: '7',
      MOCK_JUSTIFICATION_CHARS: '1500',
      MOCK_AUDIT_FILE: '/tmp/mock-audit.log',
    });
    expect(config.providers.anthropic).toMatchObject({ apiKey: 'sk-ant', baseUrl: 'http://127.0.0.1:4010' });
    expect(config.providers.google).toMatchObject({ apiKey: 'g-key', baseUrl: 'http://127.0.0.1:4011' });
    expect(config.providers.google.limits.maxBytesPerBatch).toBe(5_000_000);
    expect(config.providers.openai.defaultModel).toBe('ft:gpt-5.4-mini:acme::abc123');
    expect(config.providers.openai.limits.maxRequestsPerBatch).toBe(1000);
    expect(config.providers.openrouter.batchEnabled).toBe(false);
    expect(config.batchProcessingEnabled).toBe(false);
    expect(config.defaultProvider).toBe('anthropic');
    expect(config.mock).toMatchObject({
      errorRate: 0.25,
      seed: 7,
      justificationChars: 1500,
      auditFile: '/tmp/mock-audit.log',
    });
  });

  it('treats empty values as unset', () => {
    expect(loadProvidersConfig({ OPENAI_API_KEY: '  ', OPENAI_MODEL: '' }).providers.openai).toMatchObject({
      apiKey: undefined,
      defaultModel: 'gpt-5.4-mini',
    });
  });

  it.each([
    ['ANTHROPIC_BATCH_ENABLED', 'maybe'],
    ['OPENAI_MAX_BATCH_REQUESTS', '60000'],
    ['OPENAI_MAX_BATCH_REQUESTS', '1.5'],
    ['GEMINI_MAX_BATCH_BYTES', 'lots'],
    ['LLM_DEFAULT_PROVIDER', 'cohere'],
    ['OPENROUTER_BASE_URL', 'not a url'],
    ['MOCK_ERROR_RATE', '1.5'],
    ['MOCK_JUSTIFICATION_CHARS', '-1'],
    ['MOCK_JUSTIFICATION_CHARS', '1500.5'],
    ['MOCK_JUSTIFICATION_CHARS', '20001'],
    ['MOCK_AUDIT_FILE', 'relative/audit.log'],
    ['MOCK_AUDIT_FILE', '/no/such/directory/audit.log'],
    ['LLM_DEFAULT_TEMPERATURE', '3'],
    ['LLM_PRICES_JSON', '{"m": {"input": "cheap", "output": 1}}'],
    ['LLM_PRICES_JSON', '[1,2]'],
  ])('rejects %s=%s with an error naming the variable', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('merges LLM_PRICES_JSON over the default price table', () => {
    const config = loadProvidersConfig({ LLM_PRICES_JSON: '{"my-model": {"input": 2, "output": 8}}' });
    expect(config.pricing['my-model']).toEqual({ input: 2, output: 8 });
    expect(config.pricing['claude-sonnet-4-6']).toBeDefined();
  });
});
