import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ACTIVE_STATUSES,
  BatchRepository,
  type BatchRecord,
  type BatchStatus,
  type StoredResult,
  type VersionedRecord,
  completedEvent,
  resultEvent,
  failureResult,
  type ItemFailure,
} from '#batch-store';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { OutboxSignal } from '../outbox/outbox-signal.js';
import type { StepOutcome } from './step-outcome.js';

/**
 * Stores results with their events (results first, events through the outbox) and moves a batch to its final
 * status with LLMBatchCompletedV1. Every method is safe to run again after a crash.
 */
@Injectable()
export class BatchFinisher {
  private readonly logger = new Logger('BatchFinisher');

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(OutboxSignal) private readonly signal: OutboxSignal,
  ) {}

  /** Stores results not stored before; each newly stored one enqueues its LLMComparisonResultV1. */
  async store(record: BatchRecord, results: StoredResult[]): Promise<number> {
    if (results.length === 0) return 0;
    const now = new Date();
    const events = results.map((stored) => resultEvent(record, stored, now));
    const stored = await this.repo.storeResults(record.batch_id, results, events);
    if (stored === results.length) this.metrics.recordResults(record, results);
    if (stored > 0) this.signal.notify(record.batch_id);
    return stored;
  }

  /**
   * Stores the one result of an individual request and ends it in the same write (one round trip instead of a
   * store, its outbox mark and a final transition), notifying held requests with the result. `known` is the
   * in-progress record this run wrote. Null when the write did not apply (another run wrote or stored since):
   * the caller then stores and finishes as usual.
   */
  async storeAndFinish(known: VersionedRecord, stored: StoredResult): Promise<StepOutcome | null> {
    const record = known.record;
    const now = new Date();
    // The batch's only result: a failed one makes the batch failed, as `finish` decides from the counts.
    const status: BatchStatus = stored.result.error_detail ? 'failed' : 'completed';
    const done = await this.repo.finishWithResult(known, stored, resultEvent(record, stored, now), status, {
      completed_at: now.toISOString(),
    });
    if (!done) return null;
    this.metrics.recordResults(record, [stored]);
    this.finished(done, true);
    return { kind: 'done', status: done.status };
  }

  /** Gives every comparison without a result this failure (cancel before start, fatal errors). */
  async failRemaining(record: BatchRecord, failure: ItemFailure): Promise<void> {
    const done = await this.repo.storedIndexes(record.batch_id);
    const requests = await this.repo.getRequests(record.batch_id);
    const now = new Date();
    const missing = requests
      .filter((r) => !done.has(r.index))
      .map((r) => failureResult(record, r, failure, now));
    await this.store(record, missing);
  }

  /**
   * Final transition. A `completed` batch in which nothing succeeded is `failed`. The completed event carries the
   * counts read after the last result was stored.
   */
  async finish(
    batchId: string,
    status: BatchStatus,
    error?: { code: string; message: string },
    /** The record with its counts, when the caller knows them (its CAS still checks nobody wrote since). */
    known?: VersionedRecord,
  ): Promise<StepOutcome> {
    const now = new Date();
    const patch = { completed_at: now.toISOString(), ...(error ? { error } : {}) };
    // Decided on the record as read inside the write, so the counts are those after the last stored result.
    const change = (fresh: BatchRecord) => {
      const final: BatchStatus =
        status === 'completed' && fresh.counts.succeeded === 0 && fresh.counts.failed > 0 ? 'failed' : status;
      return { to: final, patch, events: fresh.kind === 'batch' ? [completedEvent(fresh, final, now)] : [] };
    };
    const done = known
      ? ((await this.repo.transitionKnown(known, ACTIVE_STATUSES, change))?.record ?? null)
      : await this.repo.transitionFrom(batchId, ACTIVE_STATUSES, change);
    if (!done) {
      const current = await this.repo.get(batchId);
      return { kind: 'done', status: current?.status ?? 'missing' };
    }
    // Only a batch's final transition appends an event (LLMBatchCompletedV1).
    this.finished(done, done.kind === 'batch', error);
    return { kind: 'done', status: done.status };
  }

  /** `appended`: the final write put events in the outbox (the publisher is told which batch to drain). */
  private finished(done: BatchRecord, appended: boolean, error?: { code: string }): void {
    this.logger.log({
      msg: 'batch finished',
      batch_id: done.batch_id,
      status: done.status,
      provider: done.config.provider,
      model: done.config.model,
      succeeded: done.counts.succeeded,
      failed: done.counts.failed,
      ...(error ? { error_code: error.code } : {}),
    });
    this.metrics.recordFinished(done);
    if (appended) this.signal.notify(done.batch_id);
  }
}
