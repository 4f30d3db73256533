import { normalizeProviderError } from '../core/error-normalizer.js';
import { ProviderError } from '../core/provider-error.js';

interface GoogleErrorBody {
  error?: { code?: number; status?: string; details?: Array<Record<string, unknown>> };
}

/**
 * The SDK's ApiError carries the status and, as its message, the JSON error body, but no headers. Two facts live
 * only in that body: an invalid key is a 400 with ErrorInfo reason API_KEY_INVALID (an authentication failure,
 * not a bad request), and the wait after a 429 is RetryInfo.retryDelay (Gemini sends no Retry-After header).
 */
export function toGoogleProviderError(err: unknown): ProviderError {
  const normalised = normalizeProviderError(err, 'google');
  const body = parseBody(err);
  const details = body?.error?.details ?? [];
  if (details.some((d) => d.reason === 'API_KEY_INVALID')) {
    return new ProviderError('AUTHENTICATION_ERROR', 'google: API key not valid', {
      provider: 'google',
      status: normalised.status,
      cause: err,
    });
  }
  const retryDelay = details.find((d) => typeof d.retryDelay === 'string')?.retryDelay as string | undefined;
  if (normalised.code === 'RATE_LIMIT' && retryDelay && normalised.retryAfterMs === undefined) {
    const seconds = Number(retryDelay.replace(/s$/, ''));
    if (Number.isFinite(seconds)) {
      return new ProviderError(normalised.code, normalised.message, {
        provider: 'google',
        status: normalised.status,
        retryAfterMs: Math.round(seconds * 1000),
        cause: err,
      });
    }
  }
  return normalised;
}

/** Wraps an SDK call so its failure leaves as a ProviderError with Google's specifics applied. */
export async function googleCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toGoogleProviderError(err);
  }
}

function parseBody(err: unknown): GoogleErrorBody | undefined {
  if (!(err instanceof Error) || (err as { status?: unknown }).status === undefined) return undefined;
  try {
    return JSON.parse(err.message) as GoogleErrorBody;
  } catch {
    return undefined;
  }
}
