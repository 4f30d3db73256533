import { Injectable } from '@nestjs/common';

/** What woke the publisher: batches known to have new events, and whether the pending set must be listed. */
export interface OutboxWake {
  batchIds: string[];
  listAll: boolean;
}

/**
 * Lets producers of outbox events wake the publisher at once instead of waiting for its next poll. A producer
 * that names its batch spares the publisher a listing of the pending set (a round trip per event on the
 * individual path); one that does not makes the next round list it.
 */
@Injectable()
export class OutboxSignal {
  private waiter?: () => void;
  private pending = false;
  private readonly batchIds = new Set<string>();
  private listAll = false;

  notify(batchId?: string): void {
    if (batchId === undefined) this.listAll = true;
    else this.batchIds.add(batchId);
    this.pending = true;
    this.waiter?.();
  }

  /** Wakes the publisher for work it already knows of (naming no batch, asking for no listing). */
  wake(): void {
    this.pending = true;
    this.waiter?.();
  }

  /** The batches named and whether a listing was asked for since the last call; clears both. */
  take(): OutboxWake {
    const wake = { batchIds: [...this.batchIds], listAll: this.listAll };
    this.batchIds.clear();
    this.listAll = false;
    return wake;
  }

  /** Resolves on the next notify (or at once if one came since the last wait), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiter = done;
    });
  }
}
