import { Injectable } from '@nestjs/common';

/** Lets producers of outbox events wake the publisher at once instead of waiting for its next poll. */
@Injectable()
export class OutboxSignal {
  private waiter?: () => void;
  private pending = false;

  notify(): void {
    this.pending = true;
    this.waiter?.();
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
