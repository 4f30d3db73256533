import { GoogleGenAI } from '@google/genai';
import type { ProviderSettings } from '../core/provider-config.js';

/**
 * The SDK client. `@google/genai` 2.x retries only when `httpOptions.retryOptions` is set (ApiClient.apiCall
 * runs a single fetch without it), so none is set: retries happen in ResilientCaller alone. `timeout` is per
 * attempt. The base URL is the origin; the SDK appends `/v1beta`.
 *
 * `fetch` is passed explicitly: without it the SDK reaches for undici's global dispatcher through a global
 * symbol, which does not exist inside sandboxed module contexts (Jest's VM) and fails every request there. The
 * global fetch keeps undici's default timeouts, which the per-attempt `timeout` stays within.
 */
export function createGoogleClient(settings: ProviderSettings): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: settings.apiKey,
    httpOptions: {
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      timeout: settings.timeoutMs,
      fetch: (input, init) => fetch(input, init),
    },
  });
}

export const GOOGLE_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
