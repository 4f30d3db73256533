import type { OutboxRepository } from '#batch-store';

/**
 * A batch's outbox lock held by this process: renewed every third of its TTL while the drain runs, so a slow
 * produce does not let another worker in. `lost` turns true once a renewal finds the token gone; the repository's
 * removals check the token anyway, so a drain that misses the moment still removes nothing it does not own.
 */
export class RenewingLock {
  lost = false;
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

  static async acquire(
    outbox: OutboxRepository,
    batchId: string,
    ttlMs: number,
  ): Promise<RenewingLock | null> {
    const token = await outbox.tryLock(batchId, ttlMs);
    return token ? new RenewingLock(outbox, batchId, token, ttlMs) : null;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.outbox.unlock(this.batchId, this.token).catch(() => undefined);
  }
}
