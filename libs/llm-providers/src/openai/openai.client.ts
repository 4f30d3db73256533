import OpenAI from 'openai';
import { createJsonPostFetch } from '../core/json-post-fetch.js';
import type { ProviderSettings } from '../core/provider-config.js';

/**
 * The official SDK client; `maxRetries: 0` because retries (and Retry-After) live in ResilientCaller. JSON POSTs
 * (a chat completion, a batch create) go through node:http, the rest through the global fetch (createJsonPostFetch).
 */
export function createOpenAIClient(settings: ProviderSettings): OpenAI {
  return new OpenAI({
    apiKey: settings.apiKey,
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    maxRetries: 0,
    timeout: settings.timeoutMs,
    fetch: createJsonPostFetch(),
  });
}
