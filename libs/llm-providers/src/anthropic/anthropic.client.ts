import Anthropic from '@anthropic-ai/sdk';
import type { ProviderSettings } from '../core/provider-config.js';

/**
 * The official SDK client. `maxRetries: 0` because retries (and Retry-After) live in ResilientCaller; the key is
 * passed explicitly so the SDK never falls back to ANTHROPIC_AUTH_TOKEN or a credentials profile.
 */
export function createAnthropicClient(settings: ProviderSettings): Anthropic {
  return new Anthropic({
    apiKey: settings.apiKey,
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}
