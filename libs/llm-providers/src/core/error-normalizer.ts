import type { ErrorCode, ProviderName } from '#contracts';
import { ProviderError } from './provider-error.js';

/** Header access for both WHATWG `Headers` (SDKs, fetch) and plain objects (fakes, node:http). */
export type HeaderSource =
  { get(name: string): string | null } | Record<string, string | string[] | undefined>;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);
const TIMEOUT_NAMES = new Set([
  'AbortError',
  'TimeoutError',
  'APIConnectionTimeoutError',
  'APIUserAbortError',
]);

/**
 * The one place where provider failures become ProviderErrors, so every provider reports the same codes.
 * Understands the official SDKs' APIError shape (`status` + `headers`), Node/undici network errors, aborts and
 * timeouts; anything else is EXTERNAL_SERVICE_ERROR (retryable: unknown failures of a remote are usually transient).
 */
export function normalizeProviderError(err: unknown, provider: ProviderName): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = numericStatus(err);
  if (status !== undefined) {
    return errorFromHttpStatus(provider, status, headersOf(err), message, err);
  }
  if (isTimeout(err))
    return new ProviderError('TIMEOUT', `${provider}: request timed out`, { provider, cause: err });
  if (isNetworkError(err)) {
    return new ProviderError('CONNECTION_ERROR', `${provider}: connection failed (${message})`, {
      provider,
      cause: err,
    });
  }
  return new ProviderError('EXTERNAL_SERVICE_ERROR', `${provider}: ${message}`, { provider, cause: err });
}

/** For plain HTTP clients (fetch/undici): build the error from a non-2xx response. */
export function errorFromHttpStatus(
  provider: ProviderName,
  status: number,
  headers: HeaderSource | undefined,
  message: string,
  cause?: unknown,
): ProviderError {
  const { code, retryable } = classifyStatus(status);
  const retryAfterMs = code === 'RATE_LIMIT' || status === 503 ? parseRetryAfter(headers) : undefined;
  return new ProviderError(code, `${provider} HTTP ${status}: ${message}`, {
    provider,
    status,
    retryAfterMs,
    retryable,
    cause,
  });
}

/** HTTP status → error code. 409 is a transient conflict at these APIs (e.g. a batch still being created). */
export function classifyStatus(status: number): { code: ErrorCode; retryable?: boolean } {
  if (status === 401 || status === 403) return { code: 'AUTHENTICATION_ERROR' };
  if (status === 408) return { code: 'TIMEOUT' };
  if (status === 409) return { code: 'CONFLICT', retryable: true };
  if (status === 429) return { code: 'RATE_LIMIT' };
  if (status === 400 || status === 404 || status === 413 || status === 422)
    return { code: 'INVALID_REQUEST' };
  if (status >= 500) return { code: 'EXTERNAL_SERVICE_ERROR' };
  return { code: 'INVALID_REQUEST' };
}

/**
 * `retry-after-ms` (OpenAI/Anthropic extension) wins over `Retry-After`, which is either seconds or an HTTP
 * date. Returns undefined when absent or unparsable.
 */
export function parseRetryAfter(
  headers: HeaderSource | undefined,
  now: number = Date.now(),
): number | undefined {
  const ms = Number(readHeader(headers, 'retry-after-ms'));
  if (readHeader(headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = readHeader(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function readHeader(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

function numericStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
}

function headersOf(err: unknown): HeaderSource | undefined {
  const headers = (err as { headers?: unknown }).headers;
  return typeof headers === 'object' && headers !== null ? (headers as HeaderSource) : undefined;
}

function isTimeout(err: unknown): boolean {
  return chainOf(err).some(
    (e) => TIMEOUT_NAMES.has(nameOf(e)) || TIMEOUT_CODES.has(codeOf(e)) || nameOf(e).includes('Timeout'),
  );
}

function isNetworkError(err: unknown): boolean {
  return chainOf(err).some(
    (e) =>
      NETWORK_CODES.has(codeOf(e)) ||
      nameOf(e) === 'APIConnectionError' ||
      (e instanceof TypeError && e.message === 'fetch failed'),
  );
}

/** The error and its causes (fetch wraps the socket error in `cause`; SDKs wrap fetch's). */
function chainOf(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current && chain.length < 5 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function nameOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const name = (err as { name?: unknown }).name;
  const ctor = (err as { constructor?: { name?: string } }).constructor?.name ?? '';
  return typeof name === 'string' && name !== 'Error' ? name : ctor;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
