import Anthropic from '@anthropic-ai/sdk';
import { createJsonPostFetch } from '../core/json-post-fetch.js';
import type { ProviderSettings } from '../core/provider-config.js';

/**
 * The official SDK client. `maxRetries: 0` because retries (and Retry-After) live in ResilientCaller; the key is
 * passed explicitly so the SDK never falls back to ANTHROPIC_AUTH_TOKEN or a credentials profile. JSON POSTs (a
 * message, a batch create) go through node:http, the rest through the global fetch (createJsonPostFetch).
 */
export function createAnthropicClient(settings: ProviderSettings): Anthropic {
  return new Anthropic({
    apiKey: settings.apiKey,
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    maxRetries: 0,
    timeout: settings.timeoutMs,
    fetch: createJsonPostFetch(),
  });
}
