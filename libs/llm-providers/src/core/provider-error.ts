import { ERROR_CODES, type ErrorCode, type ProviderName } from '#contracts';

export interface ProviderErrorOptions {
  provider?: ProviderName;
  status?: number;
  /** From Retry-After / retry-after-ms, when the provider sent one. */
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the code's default retryability (e.g. a 409 that is safe to retry). */
  retryable?: boolean;
}

/** The single error type of the provider library: a stable code and an explicit retryable flag. */
export class ProviderError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly provider?: ProviderName;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ProviderErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.provider = options.provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}
