import { HttpStatus } from '@nestjs/common';
import type { ApiErrorCode } from '#contracts';

export interface ApiErrorOptions {
  field?: string;
  details?: Record<string, unknown>;
  /** Sent as Retry-After (seconds) when the condition is expected to clear. */
  retryAfterSeconds?: number;
  /** Extra response headers (e.g. WWW-Authenticate on a 401). */
  headers?: Record<string, string>;
}

/** An error the API answers with as is: HTTP status, stable code and, for validation, the offending field. */
export class ApiError extends Error {
  readonly field?: string;
  readonly details?: Record<string, unknown>;
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;

  constructor(
    readonly status: HttpStatus,
    readonly code: ApiErrorCode,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.field = options.field;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }

  static invalid(field: string | undefined, message: string, details?: Record<string, unknown>): ApiError {
    return new ApiError(HttpStatus.BAD_REQUEST, 'INVALID_REQUEST', message, { field, details });
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `${what} ${id} not found`);
  }
}
