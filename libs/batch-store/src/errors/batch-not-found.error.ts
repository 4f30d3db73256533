/** The batch does not exist (never created, or removed after its retention). */
export class BatchNotFoundError extends Error {
  readonly code = 'NOT_FOUND' as const;
  readonly retryable = false;

  constructor(readonly batchId: string) {
    super(`Batch ${batchId} not found`);
    this.name = 'BatchNotFoundError';
  }
}
