import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DelayedError, Worker, type Job } from 'bullmq';
import { bullConnection, closeBullConnection } from '#infra';
import { QUEUES } from '#contracts';
import {
  BATCH_STORE_OPTIONS,
  bullPrefix,
  resolvedKeyPrefix,
  storeRedisTarget,
  BatchWakeups,
  SINGLE_JOB_NAME,
  type BatchJobData,
  type BatchStoreOptions,
} from '#batch-store';
import type { WorkerEnv } from '../config/worker-env.js';
import { BatchStepRunner, webhookProviders } from '../pipeline/batch-step-runner.js';
import { choosePollDelayMs, pollDelayMs } from '../pipeline/poll-backoff.js';
import type { PollHint } from '../pipeline/step-outcome.js';
import { TurnaroundTracker } from '../pipeline/turnaround-tracker.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { IndividualSlots } from './individual-slots.js';

/**
 * The BullMQ workers of both queues. A job only unpacks its batch id and runs one step; waiting on a provider
 * batch is a delayed re-run of the same job (the step-job pattern), and so is a wait for a paused provider: the queue
 * itself is never paused, so one provider's rate limit never holds up another's work.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly workers: Worker<BatchJobData>[] = [];
  private readonly connections: Array<ReturnType<typeof bullConnection>> = [];

  constructor(
    @Inject(BatchStepRunner) private readonly runner: BatchStepRunner,
    @Inject(BATCH_STORE_OPTIONS) private readonly store: BatchStoreOptions,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(BatchWakeups) private readonly wakeups: BatchWakeups,
    @Inject(TurnaroundTracker) private readonly turnaround: TurnaroundTracker,
    @Inject(IndividualSlots) private readonly slots: IndividualSlots,
  ) {}

  onApplicationBootstrap(): void {
    for (const queue of [QUEUES.batches, QUEUES.comparisons]) {
      const connection = bullConnection(storeRedisTarget(this.store));
      this.connections.push(connection);
      const worker: Worker<BatchJobData> = new Worker<BatchJobData>(
        queue,
        (job, token) => this.process(job, token),
        {
          connection,
          prefix: bullPrefix(resolvedKeyPrefix(this.store)),
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
    await Promise.allSettled(this.connections.map((c) => closeBullConnection(c)));
  }

  private async process(job: Job<BatchJobData>, token?: string): Promise<string> {
    if (job.name !== SINGLE_JOB_NAME) return this.step(job, token);
    // An individual run here (handed over by the lane to wait) counts against the same slots as the lane's runs.
    await this.slots.take();
    try {
      return await this.step(job, token);
    } finally {
      this.slots.give();
    }
  }

  private async step(job: Job<BatchJobData>, token?: string): Promise<string> {
    const failures = job.data.stepFailures ?? 0;
    // Transient errors never escape as job failures (BullMQ's attempts are per job and never reset); the runner
    // turns them into `retry` within the step's own budget. Only a failure to reach Redis at all gets here.
    const outcome = await this.runner.run(
      job.data.batchId,
      failures,
      job.name === SINGLE_JOB_NAME ? { individual: true, target: job.data.target } : undefined,
    );
    if (outcome.kind === 'poll') {
      const polls = job.data.polls ?? 0;
      const delay = this.pollDelay(polls, outcome.hint);
      await this.runAgainLater(job, token, { polls: polls + 1, stepFailures: 0 }, delay, true);
    }
    if (outcome.kind === 'retry') {
      await this.runAgainLater(job, token, { stepFailures: failures + 1 }, outcome.delayMs);
    }
    if (outcome.kind === 'paused') await this.runAgainLater(job, token, {}, outcome.delayMs);
    return outcome.kind === 'done' ? outcome.status : 'unknown';
  }

  /** The step-job pattern: the same job runs again after `delayMs` (never counted as a failed attempt). */
  private async runAgainLater(
    job: Job<BatchJobData>,
    token: string | undefined,
    patch: Partial<BatchJobData>,
    delayMs: number,
    wakeable = false,
  ): Promise<never> {
    await job.updateData({ ...job.data, ...patch });
    await job.moveToDelayed(Date.now() + delayMs, token);
    // A provider's notification that arrived while this run was polling could not promote the (then active) job;
    // it left a wake flag instead. Read it only now that the job is delayed, so none falls between the two.
    if (wakeable && (await this.wakeups.takeWake(job.data.batchId))) {
      await job.promote().catch(() => undefined);
    }
    throw new DelayedError();
  }

  private pollDelay(polls: number, hint: PollHint | undefined): number {
    if (!hint)
      return pollDelayMs(polls, this.env.BATCH_POLL_INTERVAL_MS, this.env.BATCH_POLL_MAX_INTERVAL_MS);
    return choosePollDelayMs({
      pollsSoFar: polls,
      baseMs: this.env.BATCH_POLL_INTERVAL_MS,
      maxMs: this.env.BATCH_POLL_MAX_INTERVAL_MS,
      comparisons: hint.comparisons,
      notified: webhookProviders(this.env).has(hint.provider),
      safetyMs: this.env.BATCH_POLL_SAFETY_INTERVAL_MS,
      expectedTurnaroundMs: this.turnaround.expectedMs(hint.provider, hint.comparisons),
      sinceSubmitMs: hint.submittedAt ? Date.now() - Date.parse(hint.submittedAt) : 0,
    });
  }
}
