import type { ComparisonRequest, ProviderName } from '#contracts';
import { AnthropicProvider } from '../src/anthropic/anthropic.provider.js';
import type { LlmProvider } from '../src/core/llm-provider.js';
import type { ProviderDeps } from '../src/core/provider-deps.js';
import { GoogleProvider } from '../src/google/google.provider.js';
import { OpenAIProvider } from '../src/openai/openai.provider.js';
import { OpenRouterProvider } from '../src/openrouter/openrouter.provider.js';
import { AnthropicFakeServer } from './anthropic-fake-server.js';
import type { ContractHarness, ContractHarnessOptions } from './contract-suite.js';
import type { FakeHttpServer } from './fake-http-server.js';
import { GoogleFakeServer } from './google-fake-server.js';
import { OpenAIFakeServer } from './openai-fake-server.js';
import { OpenRouterFakeServer } from './openrouter-fake-server.js';
import { createTestProviderDeps, type TestProviderDeps } from './test-provider-deps.js';

/**
 * A comparison for the provider specs: the fakes' judge reads the hidden `[[quality:x]]` markers, so the expected
 * winner is known; `marker` adds a behaviour trigger the fake recognises (e.g. `[[expire]]`).
 */
export function fakeComparison(id: string, qualityA = 3, qualityB = 5, marker = ''): ComparisonRequest {
  return {
    comparison_id: id,
    user_prompt: 'Assess the argument and the use of evidence.',
    essay_a: `Essay A of ${id} [[quality:${qualityA}]] ${marker}`,
    essay_b: `Essay B of ${id} [[quality:${qualityB}]]`,
  };
}

type ProviderFake = FakeHttpServer & { readonly apiKey: string } & ContractHarness['fake'];

/** How one provider is pointed at its fake server. */
export interface FakeProviderWiring<F extends ProviderFake, P extends LlmProvider> {
  name: ProviderName;
  newFake(): F;
  /** `apiKey` is undefined when the provider must look unconfigured. */
  env(fake: F, apiKey: string | undefined): Record<string, string | undefined>;
  create(deps: ProviderDeps): P;
}

export interface FakeProviderOptions extends ContractHarnessOptions {
  /** Defaults to the fake's own key; another one makes every call unauthorised. */
  apiKey?: string;
  /** The providers' clock (default Date.now): fix it to use a model that retires later without a time bomb. */
  clock?: () => number;
  /** More environment variables over the wiring's (e.g. `<P>_ALLOW_UNLISTED_MODELS`). */
  env?: Record<string, string>;
}

export interface FakeProviderSetup<P> {
  provider: P;
  test: TestProviderDeps;
}

export const ANTHROPIC_ON_FAKE: FakeProviderWiring<AnthropicFakeServer, AnthropicProvider> = {
  name: 'anthropic',
  newFake: () => new AnthropicFakeServer(),
  env: (fake, apiKey) => ({
    ANTHROPIC_API_KEY: apiKey,
    ANTHROPIC_BASE_URL: fake.url,
    // A cheap model without a retirement date, so the wiring never turns into a time bomb.
    ANTHROPIC_MODEL: 'claude-haiku-4-5',
  }),
  create: (deps) => new AnthropicProvider(deps),
};

export const OPENAI_ON_FAKE: FakeProviderWiring<OpenAIFakeServer, OpenAIProvider> = {
  name: 'openai',
  newFake: () => new OpenAIFakeServer(),
  env: (fake, apiKey) => ({ OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: `${fake.url}/v1` }),
  create: (deps) => new OpenAIProvider(deps),
};

export const GOOGLE_ON_FAKE: FakeProviderWiring<GoogleFakeServer, GoogleProvider> = {
  name: 'google',
  newFake: () => new GoogleFakeServer(),
  env: (fake, apiKey) => ({ GEMINI_API_KEY: apiKey, GOOGLE_GEMINI_BASE_URL: fake.url }),
  create: (deps) => new GoogleProvider(deps),
};

export const OPENROUTER_ON_FAKE: FakeProviderWiring<OpenRouterFakeServer, OpenRouterProvider> = {
  name: 'openrouter',
  newFake: () => new OpenRouterFakeServer(),
  env: (fake, apiKey) => ({ OPENROUTER_API_KEY: apiKey, OPENROUTER_BASE_URL: `${fake.url}/api/v1` }),
  create: (deps) => new OpenRouterProvider(deps),
};

/** The provider on test deps pointed at a started `fake`, with `options.limits` over its batch limits. */
export function setUpOnFake<F extends ProviderFake, P extends LlmProvider>(
  wiring: FakeProviderWiring<F, P>,
  fake: F,
  options: FakeProviderOptions = {},
): FakeProviderSetup<P> {
  const configured = options.configured ?? true;
  const test = createTestProviderDeps({
    env: { ...wiring.env(fake, configured ? (options.apiKey ?? fake.apiKey) : undefined), ...options.env },
    clock: options.clock,
  });
  const settings = test.config.providers[wiring.name];
  settings.limits = { ...settings.limits, ...options.limits };
  return { provider: wiring.create(test.deps), test };
}

/** A contract-suite harness: a fresh fake server and the provider pointed at it, closed together. */
export async function makeFakeHarness<F extends ProviderFake, P extends LlmProvider>(
  wiring: FakeProviderWiring<F, P>,
  options: ContractHarnessOptions = {},
): Promise<ContractHarness> {
  const fake = wiring.newFake();
  await fake.start();
  const { provider, test } = setUpOnFake(wiring, fake, options);
  return {
    provider,
    fake,
    close: async () => {
      test.close();
      await fake.stop();
    },
  };
}
