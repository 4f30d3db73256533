/**
 * In-flight allowance taken for a batch id before the request's body was read (in the same Redis round trip as
 * the request-rate count). The acceptance takes it over with `take`, and from then on owns it as if it had
 * acquired it itself; a request that ends without that (refused, aborted) gives it back with `abandon`.
 */
export class InflightReservation {
  private state: 'held' | 'taken' | 'given-back' = 'held';

  constructor(
    readonly batchId: string,
    readonly comparisons: number,
    private readonly giveBack: () => Promise<void>,
  ) {}

  /** True when this reservation covers exactly `batchId` and `comparisons`: the caller then owns the allowance. */
  take(batchId: string, comparisons: number): boolean {
    if (this.state !== 'held' || batchId !== this.batchId || comparisons !== this.comparisons) return false;
    this.state = 'taken';
    return true;
  }

  /** Gives the allowance back unless it was taken (idempotent). */
  abandon(): Promise<void> {
    if (this.state !== 'held') return Promise.resolve();
    this.state = 'given-back';
    return this.giveBack();
  }
}
