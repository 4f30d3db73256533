import { Inject, Injectable } from '@nestjs/common';
import type { ProviderName } from '#contracts';
import {
  BatchRepository,
  isTerminal,
  type BatchRecord,
  type StoredComparison,
  type VersionedRecord,
  startedEvent,
  judgeOne,
} from '#batch-store';
import { mapWithConcurrency, toOverrides, type LlmProvider, type ProviderError } from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { BatchFinisher } from './batch-finisher.js';
import { ProviderPauser } from './provider-pauser.js';
import type { StepOutcome } from './step-outcome.js';

type StoredReads = Promise<[Set<number>, StoredComparison[]]>;

/**
 * A run's first reads, issued before the record is read (a job that names an individual request and its
 * provider/model): ioredis sends them with the record read, one round trip for all.
 */
export interface IndividualPrefetch {
  reads: StoredReads;
  /** The pause check of the provider/model the job named, or undefined when it named none. */
  pause?: { provider: string; model: string; check: Promise<StepOutcome | null> };
}

/**
 * Serves a batch (or one individual request) with concurrent single calls under a cap: the rollback path when
 * batch processing is off, and the individual endpoint. Each result is stored as it arrives, so a restarted run
 * only calls the provider for comparisons still without a result. A 429 pauses the provider's model (an open circuit the provider) instead of failing items.
 */
@Injectable()
export class IndividualRunner {
  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(BatchFinisher) private readonly finisher: BatchFinisher,
    @Inject(ProviderPauser) private readonly pauser: ProviderPauser,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  /**
   * `pauseCheck`: the provider-pause read, awaited here after this run's own reads were issued (ioredis sends
   * commands issued together back to back: one round trip). `versioned`: the record as just read with its
   * revision, so the first transition skips its read.
   */
  /** Issues the reads of a run of `batchId` (and the pause check of `target`) before its record is read. */
  prefetch(batchId: string, target?: { provider: string; model: string }): IndividualPrefetch {
    if (!target) return { reads: this.readStored(batchId) };
    const check = this.pauser.waitIfPausedFor(target.provider as ProviderName, target.model);
    check.catch(() => undefined);
    return { reads: this.readStored(batchId), pause: Object.assign({}, target, { check }) };
  }

  /**
   * The requests never change; results are stored only by a run that holds the batch in progress. Read before
   * the pause check and the transition are awaited (the handler only keeps a failure from being unhandled until
   * the reads are awaited, where it throws).
   */
  private readStored(id: string): StoredReads {
    const reads = Promise.all([this.repo.storedIndexes(id), this.repo.getRequests(id)]);
    reads.catch(() => undefined);
    return reads;
  }

  async run(
    record: BatchRecord,
    provider: LlmProvider,
    options: {
      pauseCheck?: Promise<StepOutcome | null>;
      versioned?: VersionedRecord;
      prefetched?: IndividualPrefetch;
      /** The run took the batch from queued with its read: `versioned` is its revision since. */
      took?: boolean;
    } = {},
  ): Promise<StepOutcome> {
    const id = record.batch_id;
    let reads = options.prefetched?.reads ?? this.readStored(id);
    // The caller passes its own check when the job's hint does not name the record's provider/model.
    const paused = await (options.pauseCheck ?? options.prefetched?.pause?.check);
    if (paused) {
      // A paused request waits as queued, as if it had not been taken.
      if (options.took && options.versioned) await this.repo.untake(options.versioned);
      return paused;
    }
    let current: BatchRecord | null = record;
    let revision: VersionedRecord | undefined = options.took ? options.versioned : undefined;
    if (record.status === 'queued') {
      const now = new Date();
      const events = record.kind === 'batch' ? [startedEvent({ ...record, mode: 'individual' }, now)] : [];
      const patch = { mode: 'individual' as const, submitted_at: now.toISOString() };
      const known = options.versioned?.record === record ? options.versioned : undefined;
      if (known) {
        const change = () => ({ to: 'in_progress' as const, patch, events });
        revision = (await this.repo.transitionKnown(known, ['queued'], change)) ?? undefined;
        current = revision?.record ?? null;
      } else {
        current = await this.repo.transition(id, ['queued'], 'in_progress', patch, events);
      }
      if (!current) {
        // Another run moved it first: what that run stored since counts, so read again.
        current = await this.repo.get(id);
        reads = this.readStored(id);
      }
    }
    if (!current) return { kind: 'done', status: 'missing' };
    if (isTerminal(current.status)) return { kind: 'done', status: current.status };
    const active = current;

    const [done, requests] = await reads;
    const todo = requests.filter((r) => !done.has(r.index));
    const overrides = toOverrides(active.config);
    let pause: ProviderError | undefined;
    let canceled = active.cancel_requested === true;

    let storedByThisRun = 0;
    let succeededHere = 0;
    // An individual request this run took from queued (its one comparison, nothing stored): its result and its
    // end are one write, unless someone wrote meanwhile.
    const oneShot =
      active.kind === 'single' && revision && done.size === 0 && todo.length === 1 ? revision : undefined;
    const ended: { outcome?: StepOutcome } = {};
    await mapWithConcurrency(todo, this.env.INDIVIDUAL_CONCURRENCY, async (request) => {
      if (pause || canceled) return;
      if (active.kind === 'batch' && (await this.repo.isCancelRequested(id))) {
        canceled = true;
        return;
      }
      const judged = await judgeOne(provider, active, request, overrides);
      if (judged.kind === 'pause') {
        pause ??= judged.error;
        return;
      }
      const outcome = judged.stored;
      if (oneShot) {
        ended.outcome = (await this.finisher.storeAndFinish(oneShot, outcome)) ?? undefined;
        if (ended.outcome) return;
      }
      const stored = await this.finisher.store(active, [outcome]);
      storedByThisRun += stored;
      if (stored > 0 && !outcome.result.error_detail) succeededHere += 1;
    });

    if (ended.outcome) return ended.outcome;
    if (canceled) {
      await this.finisher.failRemaining(active, { code: 'CANCELED', message: 'The batch was canceled' });
      return this.finisher.finish(id, 'canceled');
    }
    if (pause) return this.pauser.pauseFor(active, pause);
    // When this run stored every result of the batch since taking it (an individual request: its one result),
    // the counts are known: the final transition needs no read unless someone wrote meanwhile (its CAS checks).
    const known =
      revision && done.size === 0 && storedByThisRun === active.comparison_count
        ? {
            record: {
              ...revision.record,
              counts: {
                succeeded: succeededHere,
                failed: storedByThisRun - succeededHere,
                pending: 0,
              },
            },
            rev: revision.rev,
          }
        : undefined;
    return this.finisher.finish(id, 'completed', undefined, known);
  }
}
