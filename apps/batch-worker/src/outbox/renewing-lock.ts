import type { OutboxEntry, OutboxRepository } from '#batch-store';

/**
 * A batch's outbox lock held by this process: renewed every third of its TTL while the drain runs, so a slow
 * produce does not let another worker in. `lost` turns true once a renewal finds the token gone; the repository's
 * removals check the token anyway, so a drain that misses the moment still removes nothing it does not own.
 */
export class RenewingLock {
  lost = false;
  private released = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly outbox: OutboxRepository,
    readonly batchId: string,
    readonly token: string,
    ttlMs: number,
  ) {
    this.timer = setInterval(
      () => {
        this.outbox.renewLock(batchId, token, ttlMs).then(
          (held) => {
            if (!held) this.lost = true;
          },
          () => undefined, // a Redis blip: the next renewal tries again; the fenced removals stay safe meanwhile
        );
      },
      Math.max(10, Math.floor(ttlMs / 3)),
    );
    this.timer.unref();
  }

  /** Neither lost nor released: removals may still be made under it. */
  get held(): boolean {
    return !this.lost && !this.released;
  }

  /** Takes the lock and reads the head of the outbox (one round trip); null when another drain holds it. */
  static async acquire(
    outbox: OutboxRepository,
    batchId: string,
    ttlMs: number,
    peekMax: number,
  ): Promise<{ lock: RenewingLock; head: OutboxEntry[] } | null> {
    const locked = await outbox.lockAndPeek(batchId, ttlMs, peekMax);
    return locked
      ? { lock: new RenewingLock(outbox, batchId, locked.token, ttlMs), head: locked.entries }
      : null;
  }

  /** The store released the lock itself (the removal that emptied the outbox): stop renewing, nothing to send. */
  releasedByStore(): void {
    this.released = true;
    clearInterval(this.timer);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.released) return;
    this.released = true;
    await this.outbox.unlock(this.batchId, this.token).catch(() => undefined);
  }
}
