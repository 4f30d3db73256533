import { AnthropicProvider } from '../anthropic/index.js';
import { GoogleProvider } from '../google/index.js';
import { MockProvider } from '../mock/mock.provider.js';
import { OpenAIProvider } from '../openai/index.js';
import { OpenRouterProvider } from '../openrouter/index.js';
import type { LlmProvider } from './llm-provider.js';
import type { ProviderDeps } from './provider-deps.js';

export type ProviderClass = new (deps: ProviderDeps) => LlmProvider;

/**
 * The one list of provider implementations: adding a provider = adding its folder and one line here.
 * Providers missing from the list are reported as not configured.
 */
export const PROVIDER_CLASSES: ProviderClass[] = [
  AnthropicProvider,
  OpenAIProvider,
  GoogleProvider,
  OpenRouterProvider,
  MockProvider,
];
