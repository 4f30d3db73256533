import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { QUEUES } from '#contracts';
import { bullConnectionOptions, bullPrefix, type BatchJobData } from '#batch-store';
import { AppMetrics } from '#infra';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { REDIS_URL, storeHarness } from './support/store-harness.js';
import { startWorker, type RunningWorker } from './support/worker-harness.js';

// What a crash leaves behind, set up before any worker runs: a batch stored but never enqueued (the API died
// between the two writes), a batch whose job failed (it stalled more often than BullMQ allows), and one whose job
// already failed as often as the reconciler revives. Then a worker starts; its reconciler must mend all three.
describe('fault tolerance: the reconciler', () => {
  const store = storeHarness();
  const prefix = bullPrefix(store.options.keyPrefix!);
  const connection = bullConnectionOptions(REDIS_URL);
  let queue: Queue<BatchJobData>;
  let worker: RunningWorker | undefined;

  beforeAll(() => {
    queue = new Queue<BatchJobData>(QUEUES.batches, { connection, prefix });
  });
  afterAll(async () => {
    await worker?.stop();
    await queue.close();
    await store.cleanup();
  });

  /** Adds the batch's job and fails it for good, as BullMQ does with a job that stalled too often. */
  async function failedJob(batchId: string, revivals: number): Promise<void> {
    await queue.add('batch', { batchId, revivals }, { jobId: batchId, attempts: 1 });
    const taker = new Worker<BatchJobData>(QUEUES.batches, null, { connection, prefix });
    try {
      const job = await taker.getNextJob('drill-token');
      expect(job?.id).toBe(batchId);
      await job!.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), 'drill-token');
    } finally {
      await taker.close();
    }
    expect(await queue.getJobState(batchId)).toBe('failed');
  }

  it('enqueues lost batches, revives failed jobs, gives up a batch that keeps failing, and reports it', async () => {
    const lostRequests = makeRequests(3, 'lost');
    const lost = makeBatch(lostRequests);
    await store.repo.create(lost, lostRequests);

    const stalledRequests = makeRequests(3, 'stalled');
    const stalled = makeBatch(stalledRequests);
    await store.repo.create(stalled, stalledRequests);
    await failedJob(stalled.batch_id, 0);

    const poisonRequests = makeRequests(2, 'poison');
    const poison = makeBatch(poisonRequests);
    await store.repo.create(poison, poisonRequests);
    await failedJob(poison.batch_id, 5);

    worker = await startWorker({
      REDIS_KEY_PREFIX: store.options.keyPrefix!,
      RECONCILE_INTERVAL_MS: '200',
      RECONCILE_MAX_REVIVALS: '5',
    });
    const final = async (batchId: string, status: string) =>
      waitFor(`${batchId} ${status}`, async () => {
        const r = await store.repo.get(batchId);
        return r?.status === status ? r : undefined;
      });
    expect((await final(lost.batch_id, 'completed')).counts.succeeded).toBe(3);
    expect((await final(stalled.batch_id, 'completed')).counts.succeeded).toBe(3);
    const givenUp = await final(poison.batch_id, 'failed');
    expect(givenUp.error?.code).toBe('INTERNAL_ERROR');
    expect(givenUp.counts).toEqual({ succeeded: 0, failed: 2, pending: 0 });

    const { body } = await worker.app.get(AppMetrics).render();
    const fixes = (reason: string) =>
      Number(
        new RegExp(`llm_batch_reconciler_fixes_total\\{reason="${reason}"[^}]*\\} (\\d+)`).exec(body)?.[1],
      );
    expect(fixes('missing_job')).toBe(1);
    expect(fixes('failed_job')).toBe(1);
    expect(fixes('gave_up')).toBe(1);
  });
});
