import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { OutboxRepository } from '#batch-store';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { BatchOutboxDrainer } from './batch-outbox-drainer.js';
import { OutboxSignal } from './outbox-signal.js';

/** Longest wait before a failing batch's outbox is tried again, as a multiple of OUTBOX_RETRY_MS. */
const MAX_BACKOFF_FACTOR = 16;

/**
 * Drains the Redis outbox to Kafka, batch by batch and isolated: up to OUTBOX_CONCURRENCY batches at once, each
 * under its own lock, and a batch whose destination fails (Kafka away, a timeout) backs off on its own
 * (OUTBOX_RETRY_MS, doubling) while every other batch keeps flowing. Events leave in order per batch and are
 * removed only after Kafka accepted them; undeliverable ones are dead-lettered by the drainer.
 */
@Injectable()
export class OutboxPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxPublisher.name);
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(BatchOutboxDrainer) private readonly drainer: BatchOutboxDrainer,
    @Inject(OutboxSignal) private readonly signal: OutboxSignal,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.signal.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.schedule();
      } catch (err) {
        this.logger.warn({ msg: 'outbox: listing pending batches failed', error: (err as Error).message });
      }
      await this.signal.wait(this.env.OUTBOX_POLL_MS);
    }
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Starts a drain for each pending batch that is not running, not backing off, while slots are free. */
  private async schedule(): Promise<void> {
    const now = Date.now();
    const pending = shuffled(await this.outbox.pendingBatchIds());
    for (const batchId of pending) {
      if (this.stopped || this.inFlight.size >= this.env.OUTBOX_CONCURRENCY) break;
      if (this.inFlight.has(batchId)) continue;
      if ((this.backoff.get(batchId)?.until ?? 0) > now) continue;
      const drain = this.drainer
        .drain(batchId, () => this.stopped)
        .then(
          (result) => {
            this.backoff.delete(batchId);
            // More may be waiting (a drain gives its slot back after a few produce requests).
            if (result.published + result.deadLettered > 0) this.signal.notify();
          },
          (err: unknown) => this.failed(batchId, err),
        )
        .finally(() => this.inFlight.delete(batchId));
      this.inFlight.set(batchId, drain);
    }
  }

  private failed(batchId: string, err: unknown): void {
    const failures = (this.backoff.get(batchId)?.failures ?? 0) + 1;
    const delay = this.env.OUTBOX_RETRY_MS * Math.min(2 ** (failures - 1), MAX_BACKOFF_FACTOR);
    this.backoff.set(batchId, { failures, until: Date.now() + delay });
    const log = { msg: 'outbox publish failed; retrying this batch later', batch_id: batchId, failures };
    // First failure of a streak at warn, the repeats at debug: a long Kafka outage does not flood the log.
    if (failures === 1) this.logger.warn({ ...log, error: (err as Error).message, retry_in_ms: delay });
    else this.logger.debug({ ...log, error: (err as Error).message, retry_in_ms: delay });
  }
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
