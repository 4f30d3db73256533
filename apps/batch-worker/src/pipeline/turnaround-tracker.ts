import { Injectable } from '@nestjs/common';

const WEIGHT = 0.3;

/**
 * Each provider's observed submit → results-ready time per comparison (an exponentially weighted mean, in this
 * worker's memory), so a batch is first polled about when batches of its provider and size usually end.
 */
@Injectable()
export class TurnaroundTracker {
  private readonly msPerComparison = new Map<string, number>();

  record(provider: string, comparisons: number, turnaroundMs: number): void {
    if (comparisons <= 0 || turnaroundMs <= 0) return;
    const sample = turnaroundMs / comparisons;
    const previous = this.msPerComparison.get(provider);
    this.msPerComparison.set(
      provider,
      previous === undefined ? sample : previous + WEIGHT * (sample - previous),
    );
  }

  /** Expected turnaround of a batch of `comparisons` at `provider`, or undefined before the first observation. */
  expectedMs(provider: string, comparisons: number): number | undefined {
    const rate = this.msPerComparison.get(provider);
    return rate === undefined ? undefined : rate * comparisons;
  }
}
