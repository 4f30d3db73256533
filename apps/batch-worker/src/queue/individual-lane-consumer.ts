import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { duplicateClient, REDIS_CLIENT } from '#infra';
import { BatchQueues, type ClaimedJob, type WakeToken } from '#batch-store';
import type { WorkerEnv } from '../config/worker-env.js';
import { BatchStepRunner } from '../pipeline/batch-step-runner.js';
import type { StepOutcome } from '../pipeline/step-outcome.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { IndividualSlots } from './individual-slots.js';

/** Longest block on the wake-up list: a lost token (Redis restarted) delays a queued job at most this long. */
const SIGNAL_WAIT_SECONDS = 1;
/** Pause after the lane's Redis failed, before the loop tries again. */
const ERROR_BACKOFF_MS = 500;

/**
 * Runs individual requests from the individual lane, in the slots of COMPARISON_QUEUE_CONCURRENCY it shares with
 * the individual runs BullMQ holds (IndividualSlots). An idle worker
 * blocks on the lane's wake-up list; the token names the job just queued, so the claim and that job's first
 * reads leave in one round trip. A run that has to wait (a retry, a paused provider) is handed to BullMQ's
 * comparisons queue as a delayed job. Leases are renewed while runs last; a lease that runs out (its worker
 * died) puts the job back, and one revived more than RECONCILE_MAX_REVIVALS times is failed.
 */
@Injectable()
export class IndividualLaneConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IndividualLaneConsumer.name);
  private readonly running = new Map<string, Promise<void>>();
  private blocking?: Redis;
  private loop?: Promise<void>;
  private stopped = false;
  private paused = false;
  private claiming?: Promise<unknown>;
  private wakeLoop?: () => void;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe?: () => void;

  constructor(
    @Inject(BatchQueues) private readonly queues: BatchQueues,
    @Inject(BatchStepRunner) private readonly runner: BatchStepRunner,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(IndividualSlots) private readonly slots: IndividualSlots,
  ) {}

  private get leaseMs(): number {
    return this.env.JOB_LOCK_DURATION_MS;
  }

  onApplicationBootstrap(): void {
    this.blocking = duplicateClient(this.redis, {
      connectionName: 'individual-lane',
      maxRetriesPerRequest: null,
    });
    this.blocking.on('error', (err: Error) =>
      this.logger.warn({ msg: 'individual lane connection error', error: err.message }),
    );
    const every = (ms: number, task: () => Promise<unknown>) => {
      const timer = setInterval(() => void task().catch((err: unknown) => this.timerFailed(err)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.max(100, Math.floor(this.leaseMs / 3)), () =>
      this.queues.lane.renew([...this.running.keys()], this.leaseMs),
    );
    every(Math.max(100, Math.floor(this.leaseMs / 2)), () => this.reap());
    this.unsubscribe = this.slots.onFreed(() => this.wakeLoop?.());
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const timer of this.timers) clearInterval(timer);
    this.wakeLoop?.();
    this.blocking?.disconnect();
    await this.loop;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Stops taking jobs (runs already started go on) until `resume`; resolves once no claim is under way. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.claiming?.catch(() => undefined);
  }

  resume(): void {
    this.paused = false;
    this.wakeLoop?.();
  }

  private async run(): Promise<void> {
    let token: WakeToken | null = null;
    while (!this.stopped) {
      if (this.paused || this.slots.free === 0) {
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        this.wakeLoop = undefined;
        continue;
      }
      try {
        const woken: WakeToken | null = token;
        token = null;
        const free = this.slots.takeAllFree();
        const claim = this.claim(woken, free);
        this.claiming = claim;
        const jobs = await claim.catch((err: unknown) => {
          for (let i = 0; i < free; i++) this.slots.give();
          throw err;
        });
        for (let i = jobs.length; i < free; i++) this.slots.give();
        // A claim that filled every free slot may have left jobs queued: claim again once a slot frees. One that
        // took fewer emptied the queue (and dropped the stale wake-up tokens): block until the next enqueue.
        if (jobs.length === free) continue;
        token = await this.queues.lane.waitForSignal(this.blocking!, SIGNAL_WAIT_SECONDS);
      } catch (err) {
        if (this.stopped) break;
        this.logger.warn({ msg: 'individual lane: claim failed', error: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS));
      }
    }
  }

  /**
   * Claims up to `count` jobs and starts them. With a wake-up token, the named job's reads are sent with the
   * claim (its run goes on if the claim took it, wherever it came in the order).
   */
  private async claim(woken: WakeToken | null, count: number): Promise<ClaimedJob[]> {
    if (!woken || this.running.has(woken.batchId)) {
      const jobs = await this.queues.lane.claimMany(this.leaseMs, count);
      for (const job of jobs) this.start(job);
      return jobs;
    }
    const claim = this.queues.lane.claimMany(this.leaseMs, count, woken.batchId);
    const claimed = claim.then((jobs) => jobs.some((job) => job.batchId === woken.batchId));
    claimed.catch(() => undefined);
    const early = this.runner.run(woken.batchId, 0, {
      individual: true,
      target: woken.target,
      claimed,
      take: true,
    });
    early.catch(() => undefined);
    const jobs = await claim;
    for (const job of jobs) {
      if (job.batchId === woken.batchId) this.track(job, early);
      else this.start(job);
    }
    return jobs;
  }

  private start(job: ClaimedJob): void {
    this.track(job, this.runner.run(job.batchId, 0, { individual: true, target: job.target, take: true }));
  }

  private track(job: ClaimedJob, outcome: Promise<StepOutcome>): void {
    const done = outcome
      .then((result) => this.settle(job, result))
      .catch((err: unknown) =>
        // The lease stays: it runs out and the job is queued again.
        this.logger.error({
          msg: 'individual lane: run failed; the job is retried when its lease runs out',
          batch_id: job.batchId,
          error: (err as Error).message,
        }),
      )
      .finally(() => {
        this.running.delete(job.batchId);
        this.slots.give();
        this.wakeLoop?.();
      });
    this.running.set(job.batchId, done);
  }

  /** Ends the lease; a run that must wait goes to BullMQ first, so the job is held somewhere at every moment. */
  private async settle(job: ClaimedJob, outcome: StepOutcome): Promise<void> {
    if (
      outcome.kind === 'done' &&
      outcome.status === 'missing' &&
      Date.now() - (job.at ?? 0) < this.leaseMs
    ) {
      // The enqueue rides behind the create in one write, so the batch is normally there; a create re-sent after
      // NOSCRIPT can land after it. The lease is kept: it runs out and the job is tried again, then dropped.
      this.logger.debug({ msg: 'individual lane: no batch yet; tried again later', batch_id: job.batchId });
      return;
    }
    const wait = waitOf(outcome, this.env.BATCH_POLL_INTERVAL_MS);
    if (wait) {
      await this.queues.delaySingle(
        job.batchId,
        job.priority,
        {
          ...(job.target ? { target: job.target } : {}),
          ...(job.revivals ? { revivals: job.revivals } : {}),
          ...(outcome.kind === 'retry' ? { stepFailures: 1 } : {}),
        },
        wait,
      );
    }
    await this.queues.lane.release(job.batchId);
  }

  private async reap(): Promise<void> {
    for (const { batchId, revivals } of await this.queues.lane.reapExpired()) {
      this.logger.warn({
        msg: 'individual lane: a lease ran out; queued again',
        batch_id: batchId,
        revivals,
      });
      if (revivals > this.env.RECONCILE_MAX_REVIVALS)
        await this.runner.giveUp(batchId, `its worker stopped ${revivals} times`);
    }
  }

  private timerFailed(err: unknown): void {
    this.logger.warn({ msg: 'individual lane: lease upkeep failed', error: (err as Error).message });
  }
}

/** How long a run that did not finish must wait before its next attempt (null: it finished). */
function waitOf(outcome: StepOutcome, pollMs: number): number | null {
  switch (outcome.kind) {
    case 'done':
      return null;
    case 'poll':
      return pollMs;
    default:
      return outcome.delayMs;
  }
}
