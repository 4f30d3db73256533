/** The idempotency key was used before with a different request body (HTTP 409). */
export class IdempotencyConflictError extends Error {
  readonly code = 'CONFLICT' as const;
  readonly retryable = false;

  constructor(
    readonly idempotencyKey: string,
    readonly existingBatchId: string,
  ) {
    super(`Idempotency key was already used with a different request (batch ${existingBatchId})`);
    this.name = 'IdempotencyConflictError';
  }
}
