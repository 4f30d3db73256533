import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import {
  BatchQueues,
  BatchRepository,
  CREATE_GRACE_MS,
  type BatchJobData,
  type BatchRecord,
} from '#batch-store';
import { AppMetrics, LuaScript, REDIS_CLIENT } from '#infra';
import type { WorkerEnv } from '../config/worker-env.js';
import { BatchStepRunner } from '../pipeline/batch-step-runner.js';
import { WORKER_ENV } from '../worker.tokens.js';

/** Why the reconciler touched a batch. */
export type ReconcileReason =
  'missing_job' | 'failed_job' | 'finished_job' | 'gave_up' | 'removed' | 'finished' | 'discarded';

/** Deletes the round's lock only if this worker still holds it. */
const RELEASE_LOCK = new LuaScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);

/** A round's lock outlives any normal round; a worker killed mid-round blocks the next one at most this long. */
const MIN_LOCK_MS = 30_000;

/** Job states in which the job will still run the batch's next step by itself. */
const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Every RECONCILE_INTERVAL_MS (and at start) one worker of the deployment (a Redis lock decides which; the
 * others skip that round) checks every batch that is not terminal against its job:
 * - no job (the API crashed between storing the batch and enqueueing it, or the job was removed) → enqueued
 *   (an individual request counts as having one while the individual lane holds it);
 * - job failed (it stalled more often than BullMQ allows, or Redis failed under it) or finished while the batch
 *   is still active → replaced by a fresh job, counting the revival; a batch revived RECONCILE_MAX_REVIVALS times
 *   is failed (its provider parts cancelled), so a batch that crashes its worker every time cannot loop forever.
 * - a crash between a batch's own script and its single-key index updates (Redis Cluster: other slots) →
 *   repaired: the outbox mark set, a terminal batch's live entry removed, an entry never written removed, a
 *   duplicate that lost its idempotency claim removed ('removed', 'finished', 'discarded'; BatchRepository).
 * Each fix is logged and counted in `llm_batch_reconciler_fixes_total{reason}`. Every action is safe with
 * several workers: job ids are batch ids, so a second enqueue of the same batch is a no-op.
 */
@Injectable()
export class ActiveBatchReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActiveBatchReconciler.name);
  private readonly fixes: Counter<'reason'>;
  private readonly owner = randomUUID();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(BatchQueues) private readonly queues: BatchQueues,
    @Inject(BatchStepRunner) private readonly runner: BatchStepRunner,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(AppMetrics) metrics: AppMetrics,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {
    this.fixes = new Counter({
      name: 'llm_batch_reconciler_fixes_total',
      help: 'Batches the reconciler re-enqueued, revived or gave up, by reason',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    const tick = () => {
      this.running ??= this.runOnce()
        .catch((err: unknown) =>
          this.logger.error({ msg: 'reconcile round failed', error: (err as Error).message }),
        )
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.env.RECONCILE_INTERVAL_MS);
    this.timer.unref();
    tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * One round, if this worker wins the round's lock; returns the fixes made (null: another worker holds the
   * lock). The lock expires on its own, so a worker killed mid-round never blocks the next one for long.
   */
  async runOnce(): Promise<Array<{ batch_id: string; reason: ReconcileReason }> | null> {
    const lock = `${this.repo.keys.prefix}:reconciler:lock`;
    const ttl = Math.max(MIN_LOCK_MS, this.env.RECONCILE_INTERVAL_MS);
    if ((await this.redis.set(lock, this.owner, 'PX', ttl, 'NX')) !== 'OK') return null;
    try {
      const fixed: Array<{ batch_id: string; reason: ReconcileReason }> = [];
      for (const entry of await this.repo.listActiveSince()) {
        const reason = await this.reconcile(entry);
        if (!reason) continue;
        fixed.push({ batch_id: entry.batchId, reason });
        this.fixes.inc({ reason });
      }
      if (fixed.length > 0) this.logger.warn({ msg: 'batches reconciled', count: fixed.length, fixed });
      return fixed;
    } finally {
      await RELEASE_LOCK.run(this.redis, [lock], [this.owner]);
    }
  }

  private async reconcile(entry: { batchId: string; sinceMs: number }): Promise<ReconcileReason | null> {
    const batchId = entry.batchId;
    const { record, repaired } = await this.repo.repairIndexes(entry, CREATE_GRACE_MS);
    if (repaired === 'finished') return null;
    if (repaired) return repaired;
    if (!record) return null;
    // An individual request is held by the lane (queued or leased) or, while it waits, by BullMQ.
    if (record.kind === 'single' && (await this.queues.lane.holds(batchId))) return null;
    const queue = record.kind === 'single' ? this.queues.comparisons : this.queues.batches;
    const job = (await queue.getJob(batchId)) as Job<BatchJobData> | undefined;
    if (!job) {
      await this.enqueue(record, 0);
      return 'missing_job';
    }
    const state = await job.getState();
    if (LIVE_STATES.has(state)) return null;
    const revivals = (job.data.revivals ?? 0) + 1;
    if (revivals > this.env.RECONCILE_MAX_REVIVALS) {
      this.logger.error({
        msg: 'batch job keeps failing; giving the batch up',
        batch_id: batchId,
        revivals: revivals - 1,
        last_error: job.failedReason,
      });
      await this.runner.giveUp(batchId, `its job failed ${revivals - 1} times`);
      return 'gave_up';
    }
    await this.replace(queue, job, record, revivals);
    return state === 'failed' ? 'failed_job' : 'finished_job';
  }

  private async replace(
    queue: Queue<BatchJobData>,
    job: Job<BatchJobData>,
    record: BatchRecord,
    revivals: number,
  ): Promise<void> {
    this.logger.warn({
      msg: 'reviving a batch whose job ended',
      batch_id: record.batch_id,
      queue: queue.name,
      revivals,
      last_error: job.failedReason,
    });
    await job.remove();
    await this.enqueue(record, revivals);
  }

  private async enqueue(record: BatchRecord, revivals: number): Promise<void> {
    const extra = revivals > 0 ? { revivals } : {};
    if (record.kind === 'single') {
      const target = { provider: record.config.provider, model: record.config.model };
      await this.queues.enqueueSingle(record.batch_id, record.priority, { ...extra, target });
    } else await this.queues.enqueueBatch(record.batch_id, record.priority, extra);
  }
}
