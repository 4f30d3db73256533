/**
 * Error codes shared by the provider library, the API and events (UPPER_SNAKE, as the platform already uses).
 * Whether a code is retryable lives beside it so the decision is made in one place.
 */
export const ERROR_CODES = {
  RATE_LIMIT: { retryable: true },
  AUTHENTICATION_ERROR: { retryable: false },
  INVALID_REQUEST: { retryable: false },
  EXTERNAL_SERVICE_ERROR: { retryable: true },
  PROVIDER_NOT_CONFIGURED: { retryable: false },
  CIRCUIT_OPEN: { retryable: true },
  TIMEOUT: { retryable: true },
  CONNECTION_ERROR: { retryable: true },
  INVALID_RESPONSE: { retryable: false },
  /**
   * The answer hit the output limit (OpenAI `finish_reason: length`, Gemini `MAX_TOKENS`, Anthropic
   * `max_tokens`), usually because reasoning/thinking tokens used the room: not retried with the same settings.
   */
  OUTPUT_TRUNCATED: { retryable: false },
  CONTENT_FILTERED: { retryable: false },
  BATCH_EXPIRED: { retryable: true },
  /**
   * The provider's batch queue is full for the model (OpenAI `token_limit_exceeded` at validation, Anthropic and
   * Gemini 429 on batch create): the part waits and is resubmitted; on a batch or item, the wait ran out.
   */
  QUOTA_EXCEEDED: { retryable: true },
  CANCELED: { retryable: false },
  NOT_FOUND: { retryable: false },
  CONFLICT: { retryable: false },
  INTERNAL_ERROR: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isRetryableCode(code: ErrorCode): boolean {
  return ERROR_CODES[code].retryable;
}
