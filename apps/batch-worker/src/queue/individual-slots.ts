import { Inject, Injectable } from '@nestjs/common';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';

/**
 * The worker's COMPARISON_QUEUE_CONCURRENCY, shared by both ways an individual request runs: from the individual
 * lane, and from BullMQ's comparisons queue (runs handed over to wait for a retry or a paused provider). Without it
 * each would run its own full count, and the runs released together when a pause ends would double the calls in
 * flight to the provider that had just refused us. Waiting BullMQ runs are served first (FIFO): the lane only claims
 * slots nobody waits for.
 */
@Injectable()
export class IndividualSlots {
  private inUse = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly freedListeners = new Set<() => void>();

  constructor(@Inject(WORKER_ENV) private readonly env: Pick<WorkerEnv, 'COMPARISON_QUEUE_CONCURRENCY'>) {}

  /** Slots the lane may claim now: free ones no waiting run is queued for. */
  get free(): number {
    return Math.max(0, this.env.COMPARISON_QUEUE_CONCURRENCY - this.inUse - this.waiting.length);
  }

  /** Takes every free slot at once (the lane, before a claim of that many jobs); gives back what it did not use. */
  takeAllFree(): number {
    const n = this.free;
    this.inUse += n;
    return n;
  }

  /** Takes a slot, waiting for one (FIFO) when all are in use. */
  async take(): Promise<void> {
    if (this.inUse < this.env.COMPARISON_QUEUE_CONCURRENCY && this.waiting.length === 0) {
      this.inUse += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back: to the first waiting run, else to the pool (and tells the lane). */
  give(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.inUse = Math.max(0, this.inUse - 1);
    for (const listener of this.freedListeners) listener();
  }

  /** Calls `listener` whenever a slot returns to the pool; returns the unsubscribe. */
  onFreed(listener: () => void): () => void {
    this.freedListeners.add(listener);
    return () => this.freedListeners.delete(listener);
  }
}
