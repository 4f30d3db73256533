import { isRetryableCode, type ErrorCode } from '#contracts';

/** A failed call to the comparison service. `status` is the HTTP status, or null when no response came back. */
export class ComparisonApiError extends Error {
  override readonly name = 'ComparisonApiError';
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.retryable = isRetryableCode(code);
  }
}

/** Maps an HTTP status onto the shared codes; the service's own `error_code` wins when it sends a known one. */
export function errorCodeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'AUTHENTICATION_ERROR';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMIT';
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status >= 500) return 'EXTERNAL_SERVICE_ERROR';
  return 'INVALID_REQUEST';
}
