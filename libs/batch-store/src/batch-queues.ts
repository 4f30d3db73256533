import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { PRIORITY, QUEUES } from '#contracts';
import type { JobsOptions, Queue } from 'bullmq';
import { IndividualLane } from './individual-lane/individual-lane.js';

/** Data of every job on both queues: the job only points at the stored batch, which drives the work. */
export interface BatchJobData {
  batchId: string;
  /** Status polls made so far (the worker's poll backoff). */
  polls?: number;
  /** Consecutive transient failures of the current step (its retry budget; reset when a step succeeds). */
  stepFailures?: number;
  /** How often the reconciler gave this batch a new job after its job was lost or failed. */
  revivals?: number;
  /**
   * The provider and model an individual request was accepted with (a copy of its stored config): the worker
   * checks their pauses in the same round trip as its first reads. A hint only: the stored record decides.
   */
  target?: { provider: string; model: string };
}

export const BATCH_JOB_NAME = 'batch';
export const SINGLE_JOB_NAME = 'single';

/** Platform priority (0–10, higher sooner) → BullMQ priority (1 = soonest). */
export function toBullPriority(priority: number): number {
  const clamped = Math.min(PRIORITY.max, Math.max(PRIORITY.min, Math.round(priority)));
  return PRIORITY.max - clamped + 1;
}

const JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 86_400 },
};

/**
 * Producers of the work queues: batches on BullMQ; an individual request first on the individual lane (built for
 * one request's latency), and on BullMQ's comparisons queue when its run must wait (a retry, a paused provider).
 * The job id is the batch id, so enqueueing the same batch again while its job exists is a no-op.
 */
/**
 * Job data and options are built with Object.assign onto a fresh object, not as `{ ...JOB_OPTIONS, jobId }`: on
 * Node 20's V8 every property added to a leading spread's copy takes a slow path (hot-object-shapes.bench.ts).
 */
@Injectable()
export class BatchQueues {
  constructor(
    @InjectQueue(QUEUES.batches) readonly batches: Queue<BatchJobData>,
    @InjectQueue(QUEUES.comparisons) readonly comparisons: Queue<BatchJobData>,
    readonly lane: IndividualLane,
  ) {}

  async enqueueBatch(
    batchId: string,
    priority: number = PRIORITY.default,
    extra: Omit<BatchJobData, 'batchId'> = {},
  ): Promise<void> {
    await this.batches.add(
      BATCH_JOB_NAME,
      Object.assign({}, extra, { batchId }),
      Object.assign({}, JOB_OPTIONS, { jobId: batchId, priority: toBullPriority(priority) }),
    );
  }

  /** An individual request, on the lane (a no-op while the lane holds it). */
  async enqueueSingle(
    batchId: string,
    priority: number = PRIORITY.default,
    extra: Pick<BatchJobData, 'target' | 'revivals'> = {},
    /** Lease the id to the caller instead when nothing is queued (it runs the request itself). */
    leaseMs?: number,
  ): Promise<'queued' | 'leased' | 'present'> {
    return this.lane.enqueueOrLease(batchId, { priority, ...extra }, leaseMs);
  }

  /** An individual request whose run must wait `delayMs` (a retry, a paused provider): a delayed BullMQ job. */
  async delaySingle(
    batchId: string,
    priority: number,
    extra: Omit<BatchJobData, 'batchId'>,
    delayMs: number,
  ): Promise<void> {
    await this.comparisons.add(
      SINGLE_JOB_NAME,
      Object.assign({}, extra, { batchId }),
      Object.assign({}, JOB_OPTIONS, {
        jobId: batchId,
        priority: toBullPriority(priority),
        delay: Math.max(0, delayMs),
      }),
    );
  }

  /**
   * Runs a batch's delayed poll now (a provider said the batch ended). False when the job is not waiting on a
   * delay (running, already queued, or gone): the caller's wake flag covers a running one.
   */
  async promoteBatch(batchId: string): Promise<boolean> {
    const job = await this.batches.getJob(batchId);
    if (!job) return false;
    try {
      await job.promote();
      return true;
    } catch {
      return false;
    }
  }

  /** Waiting + prioritized + delayed + active jobs of each queue, and the individual lane's (metrics). */
  async depths(): Promise<Record<string, Record<string, number>>> {
    const states = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
    const lane = await this.lane.depths();
    return {
      [QUEUES.batches]: await this.batches.getJobCounts(...states),
      [QUEUES.comparisons]: await this.comparisons.getJobCounts(...states),
      'individual-lane': { queued: lane.queued, active: lane.leased },
    };
  }
}
