import { Inject, Injectable } from '@nestjs/common';
import {
  BatchRepository,
  CompletionWatchers,
  isTerminal,
  type BatchRecord,
  type CompletionWatch,
  type StoredResult,
  finishedFromPayload,
} from '#batch-store';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';

/** A batch that reached a terminal status while a request was held, with its first results. */
export interface FinishedBatch {
  record: BatchRecord;
  results: StoredResult[];
}

/** A held request: watching started before the work was enqueued, so its end cannot slip past unseen. */
export interface HeldRequest {
  readonly batchId: string;
  readonly watch: CompletionWatch;
}

/**
 * Holds a request open (Prefer: wait=N) until the batch reaches a terminal status or the time is up. The
 * terminal transition's notification wakes it at once (and answers it, when it carries the finished batch); a re-read every PREFER_WAIT_POLL_MS is only the safety
 * net for a lost notification (pub/sub is at-most-once).
 */
@Injectable()
export class BatchWaiter {
  constructor(
    private readonly repository: BatchRepository,
    @Inject(CompletionWatchers) private readonly completions: CompletionWatchers,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** Starts listening for `batchId`'s end; call it before the work is enqueued. */
  hold(batchId: string): HeldRequest {
    return { batchId, watch: this.completions.watch(batchId) };
  }

  /**
   * The record and results [0, resultsLimit) once terminal, or null when `seconds` passed first (or the batch
   * vanished). `held` is the watch started before enqueueing (else one starts now); `knownActive` skips the
   * first read when the caller has just created the batch.
   */
  async waitForTerminal(
    batchId: string,
    seconds: number,
    resultsLimit: number,
    options: {
      held?: HeldRequest;
      knownActive?: boolean;
      /** This process runs the request itself: its end answers (null: it went to the workers; wait on). */
      run?: Promise<FinishedBatch | null>;
    } = {},
  ): Promise<FinishedBatch | null> {
    const deadline = Date.now() + seconds * 1000;
    const watch = options.held?.batchId === batchId ? options.held.watch : this.completions.watch(batchId);
    try {
      let notified = false;
      let skipRead = options.knownActive === true;
      let run = options.run;
      for (;;) {
        if (!skipRead) {
          // After a notification the batch is almost surely terminal: read its results in the same round trip
          // (issued after the record read on the same connection, so they are at least as fresh).
          const [record, results] = await Promise.all([
            this.repository.get(batchId),
            notified ? this.repository.getResults(batchId, 0, resultsLimit) : undefined,
          ]);
          if (!record) return null;
          if (isTerminal(record.status)) {
            return {
              record,
              results: results ?? (await this.repository.getResults(batchId, 0, resultsLimit)),
            };
          }
        }
        skipRead = false;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return null;
        const next = watch.next(Math.min(this.settings.preferWaitPollMs, remaining));
        if (run) {
          const ran = await Promise.race([next.then(() => undefined), run]);
          if (ran) return ran;
          if (ran === null) {
            // Handed to the workers (or left to its lease): wait for their end like any held request.
            run = undefined;
            continue;
          }
        }
        notified = await next;
        // A one-comparison run's notification carries the finished record and result (written in the same
        // atomic step that published it): answer from it, no read. Any other one is followed by the read.
        const carried = notified ? finishedFromPayload(watch.payload(), resultsLimit) : null;
        if (carried?.record.batch_id === batchId) return carried;
      }
    } finally {
      watch.close();
      if (options.held && options.held.watch !== watch) options.held.watch.close();
    }
  }
}
