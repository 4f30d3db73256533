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
 *
 * Batches come from two sources: those this process named when it appended (OutboxSignal), drained at once, and
 * a listing of the pending set at most every OUTBOX_POLL_MS (other workers' batches, retries after a backoff) or
 * when an append did not name its batch. Batches left for want of a free slot wait in a backlog, started as slots
 * free: a listing of hundreds of pending batches (the API's direct runs append without naming them here) is not
 * read again for every slot that frees.
 */
@Injectable()
export class OutboxPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxPublisher.name);
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  /** Batches named while their drain ran: that drain may have read the outbox before the append. */
  private readonly namedDuringDrain = new Set<string>();
  /** Batches left for want of a free slot, in the order they are started when slots free. */
  private backlog = new Set<string>();
  private listedAt = 0;
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
      await this.signal.wait(Math.max(1, this.listedAt + this.env.OUTBOX_POLL_MS - Date.now()));
    }
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Starts a drain for each candidate batch that is not running, not backing off, while slots are free. */
  private async schedule(): Promise<void> {
    const now = Date.now();
    const wake = this.signal.take();
    const named = new Set(wake.batchIds);
    // Named batches first, then those left from earlier rounds.
    const candidates = new Set([...wake.batchIds, ...this.backlog]);
    this.backlog = new Set();
    if (wake.listAll || now - this.listedAt >= this.env.OUTBOX_POLL_MS) {
      // Set first: a failing listing is retried at the next poll, not in a tight loop.
      this.listedAt = now;
      for (const batchId of shuffled(await this.outbox.pendingBatchIds())) candidates.add(batchId);
    }
    for (const batchId of candidates) {
      if (this.stopped) break;
      if (this.inFlight.has(batchId)) {
        if (named.has(batchId)) this.namedDuringDrain.add(batchId);
        continue;
      }
      if ((this.backoff.get(batchId)?.until ?? 0) > now) continue;
      if (this.inFlight.size >= this.env.OUTBOX_CONCURRENCY) {
        this.backlog.add(batchId);
        continue;
      }
      this.start(batchId);
    }
  }

  private start(batchId: string): void {
    const drain = this.drainer
      .drain(batchId, () => this.stopped)
      .then(
        (result) => {
          this.backoff.delete(batchId);
          // More may be waiting (a drain gives its slot back after a few produce requests, or an append came in
          // right after the outbox was emptied). An emptied outbox was unmarked: nothing to look for.
          if (!result.emptied && result.published + result.deadLettered > 0) this.signal.notify(batchId);
        },
        (err: unknown) => this.failed(batchId, err),
      )
      .finally(() => {
        this.inFlight.delete(batchId);
        if (this.namedDuringDrain.delete(batchId) && !this.backoff.has(batchId)) this.signal.notify(batchId);
        else if (this.backlog.size > 0) this.signal.wake();
      });
    this.inFlight.set(batchId, drain);
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
