/** A held request's subscription to one batch's terminal notification. */
export interface CompletionWatch {
  /**
   * Resolves true once a notification for the batch arrived (at once if one came since the last call), or false
   * after `timeoutMs` (the caller then re-reads the batch anyway: a notification can be lost).
   */
  next(timeoutMs: number): Promise<boolean>;
  /** The payload of the last notification, when it carried the finished batch (see parseTerminalMessage). */
  payload(): string | undefined;
  /** Stops watching; always call it (finally), or the registry keeps the entry. */
  close(): void;
}

class Watch implements CompletionWatch {
  private notified = false;
  private wake?: () => void;
  private lastPayload?: string;

  constructor(private readonly release: (watch: Watch) => void) {}

  fire(payload?: string): void {
    if (payload !== undefined) this.lastPayload = payload;
    this.notified = true;
    this.wake?.();
  }

  payload(): string | undefined {
    return this.lastPayload;
  }

  next(timeoutMs: number): Promise<boolean> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.notified = false;
        resolve(true);
      };
      // A wait given up on (the caller went on to a newer one) must not clear the newer wait's wake-up.
      const timer = setTimeout(() => {
        if (this.wake === wake) this.wake = undefined;
        resolve(false);
      }, timeoutMs);
      this.wake = wake;
    });
  }

  close(): void {
    this.release(this);
    this.wake?.();
  }
}

/**
 * In-process registry of requests waiting for batches to end, fed by whatever hears the terminal notifications
 * (RedisCompletionSubscriber in the API; a spec's fake store in tests). Watch before the first read of the batch:
 * a notification between that read and the wait is then kept, not missed.
 */
export class CompletionWatchers {
  private readonly watches = new Map<string, Set<Watch>>();

  watch(batchId: string): CompletionWatch {
    const watch = new Watch((w) => this.release(batchId, w));
    const set = this.watches.get(batchId) ?? new Set<Watch>();
    set.add(watch);
    this.watches.set(batchId, set);
    return watch;
  }

  /** Wakes every request waiting on `batchId`; `payload` is the finished batch when the message carried it. */
  notify(batchId: string, payload?: string): void {
    const set = this.watches.get(batchId);
    if (set) for (const watch of set) watch.fire(payload);
  }

  /** Requests currently waiting (metrics, tests). */
  get size(): number {
    let n = 0;
    for (const set of this.watches.values()) n += set.size;
    return n;
  }

  private release(batchId: string, watch: Watch): void {
    const set = this.watches.get(batchId);
    if (!set) return;
    set.delete(watch);
    if (set.size === 0) this.watches.delete(batchId);
  }
}
