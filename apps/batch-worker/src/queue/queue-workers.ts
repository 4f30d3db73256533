import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import { QUEUES } from '#contracts';
import {
  BATCH_STORE_OPTIONS,
  bullConnectionOptions,
  resolvedKeyPrefix,
  type BatchJobData,
  type BatchStoreOptions,
} from '#batch-store';
import type { WorkerEnv } from '../config/worker-env.js';
import { BatchStepRunner } from '../pipeline/batch-step-runner.js';
import { pollDelayMs } from '../pipeline/poll-backoff.js';
import { WORKER_ENV } from '../worker.tokens.js';

const MIN_RATE_LIMIT_MS = 50;

/**
 * The BullMQ workers of both queues. A job only unpacks its batch id and runs one step; waiting on a provider
 * batch is a delayed re-run of the same job (the step-job pattern), a 429 pauses the queue.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly workers: Worker<BatchJobData>[] = [];

  constructor(
    @Inject(BatchStepRunner) private readonly runner: BatchStepRunner,
    @Inject(BATCH_STORE_OPTIONS) private readonly store: BatchStoreOptions,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    for (const queue of [QUEUES.batches, QUEUES.comparisons]) {
      const worker: Worker<BatchJobData> = new Worker<BatchJobData>(
        queue,
        (job, token) => this.process(worker, job, token),
        {
          connection: bullConnectionOptions(this.store.redisUrl),
          prefix: `${resolvedKeyPrefix(this.store)}:bull`,
          concurrency:
            queue === QUEUES.comparisons
              ? this.env.COMPARISON_QUEUE_CONCURRENCY
              : this.env.WORKER_CONCURRENCY,
          lockDuration: this.env.JOB_LOCK_DURATION_MS,
          stalledInterval: this.env.JOB_LOCK_DURATION_MS,
          maxStalledCount: 10,
        },
      );
      worker.on('error', (err) =>
        this.logger.error({ msg: 'queue worker error', queue, error: err.message }),
      );
      worker.on('failed', (job, err) =>
        this.logger.warn({
          msg: 'job attempt failed',
          queue,
          batch_id: job?.data.batchId,
          error: err.message,
        }),
      );
      this.workers.push(worker);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.close()));
  }

  private async process(
    worker: Worker<BatchJobData>,
    job: Job<BatchJobData>,
    token?: string,
  ): Promise<string> {
    const failures = job.data.stepFailures ?? 0;
    // Transient errors never escape as job failures (BullMQ's attempts are per job and never reset); the runner
    // turns them into `retry` within the step's own budget. Only a failure to reach Redis at all gets here.
    const outcome = await this.runner.run(job.data.batchId, failures);
    if (outcome.kind === 'poll') {
      const polls = job.data.polls ?? 0;
      const delay = pollDelayMs(polls, this.env.BATCH_POLL_INTERVAL_MS, this.env.BATCH_POLL_MAX_INTERVAL_MS);
      await this.runAgainLater(job, token, { polls: polls + 1, stepFailures: 0 }, delay);
    }
    if (outcome.kind === 'retry') {
      await this.runAgainLater(job, token, { stepFailures: failures + 1 }, outcome.delayMs);
    }
    if (outcome.kind === 'rate_limited') {
      this.logger.warn({
        msg: 'provider rate limit: pausing queue',
        queue: worker.name,
        delay_ms: outcome.delayMs,
      });
      // Redis rejects a zero expiry (Retry-After: 0); the shortest pause is still a pause.
      await worker.rateLimit(Math.max(MIN_RATE_LIMIT_MS, outcome.delayMs));
      throw Worker.RateLimitError();
    }
    return outcome.kind === 'done' ? outcome.status : 'unknown';
  }

  /** The step-job pattern: the same job runs again after `delayMs` (never counted as a failed attempt). */
  private async runAgainLater(
    job: Job<BatchJobData>,
    token: string | undefined,
    patch: Partial<BatchJobData>,
    delayMs: number,
  ): Promise<never> {
    await job.updateData({ ...job.data, ...patch });
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }
}
