import OpenAI from 'openai';
import type { ProviderSettings } from '../core/provider-config.js';

/** The official SDK client; `maxRetries: 0` because retries (and Retry-After) live in ResilientCaller. */
export function createOpenAIClient(settings: ProviderSettings): OpenAI {
  return new OpenAI({
    apiKey: settings.apiKey,
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}
