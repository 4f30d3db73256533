import { errorFromHttpStatus } from '../core/error-normalizer.js';
import { ProviderError } from '../core/provider-error.js';

export const OPENROUTER_DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';

/**
 * Plain fetch against OpenRouter (no SDK drives its batch API). One method call is one HTTP request, so it can be
 * wrapped in exactly one ResilientCaller call. Non-2xx answers become ProviderErrors with the status, headers
 * (Retry-After) and the error body's reason in `details`.
 */
export class OpenRouterHttp {
  private readonly base: string;

  constructor(
    private readonly apiKey: string,
    baseUrl: string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.base = (baseUrl ?? OPENROUTER_DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.send('POST', path, JSON.stringify(body));
  }

  get(path: string): Promise<unknown> {
    return this.send('GET', path);
  }

  private async send(method: string, path: string, body?: string): Promise<unknown> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    const parsed = tryParse(text);
    if (!response.ok) {
      const error = (parsed as { error?: { message?: string; metadata?: { reason?: string } } } | undefined)
        ?.error;
      const normalised = errorFromHttpStatus(
        'openrouter',
        response.status,
        response.headers,
        error?.message ?? text,
      );
      const reason = error?.metadata?.reason;
      if (reason === undefined) throw normalised;
      throw new ProviderError(normalised.code, normalised.message, {
        provider: 'openrouter',
        status: normalised.status,
        retryAfterMs: normalised.retryAfterMs,
        retryable: normalised.retryable,
        details: { reason },
      });
    }
    if (parsed === undefined) {
      // A 200 whose body is not JSON is a gateway glitch, not the model's answer: worth another attempt.
      throw new ProviderError('EXTERNAL_SERVICE_ERROR', 'openrouter: response body is not JSON', {
        provider: 'openrouter',
        status: response.status,
      });
    }
    return parsed;
  }
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
