import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IndividualLane, ProviderPauseStore } from '#batch-store';
import { ProviderCallCounter, withHiddenQuality } from '#llm-providers';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { storeHarness } from './support/store-harness.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

// The individual lane: the Redis priority queue with leases that individual requests take on their way to a
// worker (BullMQ only for the runs that must wait). These check the lane's own promises against the real Redis,
// then a worker running from it: priority order, no duplicate while held, a dead worker's job revived, a paused
// provider's request handed to BullMQ without being lost.
describe('individual lane (real Redis)', () => {
  const store = storeHarness();
  const lane = new IndividualLane(store.redis, store.options);
  afterAll(() => store.cleanup());

  it('hands out jobs by priority (10 first), then in the order they were queued', async () => {
    const order = [
      ['low', 1],
      ['high-1', 9],
      ['mid', 5],
      ['high-2', 9],
      ['top', 10],
    ] as const;
    for (const [id, priority] of order) await lane.enqueue(`prio-${id}`, { priority });
    const taken: string[] = [];
    for (let job = await lane.claim(10_000); job; job = await lane.claim(10_000)) {
      taken.push(job.batchId);
      await lane.release(job.batchId);
    }
    expect(taken).toEqual(['prio-top', 'prio-high-1', 'prio-high-2', 'prio-mid', 'prio-low']);
  });

  it('queues an id once while it is queued or leased, and again once released', async () => {
    expect(await lane.enqueue('dup', { priority: 5 })).toBe(true);
    expect(await lane.enqueue('dup', { priority: 5 })).toBe(false);
    const job = await lane.claim(10_000);
    expect(job?.batchId).toBe('dup');
    expect(await lane.holds('dup')).toBe(true);
    expect(await lane.enqueue('dup', { priority: 5 })).toBe(false);
    expect(await lane.release('dup')).toBe(true);
    expect(await lane.holds('dup')).toBe(false);
    expect(await lane.enqueue('dup', { priority: 5 })).toBe(true);
    await lane.claim(10_000);
    await lane.release('dup');
  });

  it('gives a woken worker the job its token named, unless a more urgent one is queued', async () => {
    await lane.enqueue('pref-a', { priority: 5 });
    await lane.enqueue('pref-b', { priority: 5 });
    // Same band: the named one (its reads went out with the claim).
    expect((await lane.claim(10_000, 'pref-b'))?.batchId).toBe('pref-b');
    await lane.enqueue('pref-urgent', { priority: 10 });
    // A more urgent job overtakes the named one.
    expect((await lane.claim(10_000, 'pref-a'))?.batchId).toBe('pref-urgent');
    expect((await lane.claim(10_000, 'pref-a'))?.batchId).toBe('pref-a');
    for (const id of ['pref-a', 'pref-b', 'pref-urgent']) await lane.release(id);
    expect(await lane.claim(10_000)).toBeNull();
  });

  it('claims several jobs in one call, in order, the named one first when as urgent', async () => {
    for (const [id, priority] of [
      ['many-1', 5],
      ['many-2', 5],
      ['many-3', 5],
      ['many-low', 1],
    ] as const)
      await lane.enqueue(id, { priority });
    const first = await lane.claimMany(10_000, 2, 'many-3');
    expect(first.map((j) => j.batchId)).toEqual(['many-3', 'many-1']);
    const rest = await lane.claimMany(10_000, 5);
    expect(rest.map((j) => j.batchId)).toEqual(['many-2', 'many-low']);
    expect(await lane.claimMany(10_000, 5)).toEqual([]);
    for (const job of [...first, ...rest]) await lane.release(job.batchId);
  });

  it('puts back a job whose lease ran out, counting the revival; a renewed lease is kept', async () => {
    await lane.enqueue('lease-dead', { priority: 3, target: { provider: 'mock', model: 'm' } });
    await lane.enqueue('lease-alive', { priority: 3 });
    const dead = await lane.claim(150);
    const alive = await lane.claim(150);
    expect([dead?.batchId, alive?.batchId]).toEqual(['lease-dead', 'lease-alive']);
    expect(await lane.renew(['lease-alive'], 60_000)).toBe(1);
    const revived = await waitFor('the expired lease reaped', async () => {
      const reaped = await lane.reapExpired();
      return reaped.length > 0 ? reaped : undefined;
    });
    expect(revived).toEqual([{ batchId: 'lease-dead', revivals: 1 }]);
    const again = await lane.claim(10_000);
    expect(again).toMatchObject({
      batchId: 'lease-dead',
      priority: 3,
      revivals: 1,
      target: { provider: 'mock', model: 'm' },
    });
    expect(await lane.holds('lease-alive')).toBe(true);
    for (const id of ['lease-dead', 'lease-alive']) await lane.release(id);
  });

  it('leases a new id to the caller only while nothing is queued, without waking a worker', async () => {
    expect(await lane.claim(10_000)).toBeNull();
    const blocking = store.redis.duplicate();
    try {
      expect(await lane.enqueueOrLease('direct-1', { priority: 0 }, 10_000)).toBe('leased');
      // Leased, not queued: no worker can claim it, and no wake-up token was left for one.
      expect(await lane.holds('direct-1')).toBe(true);
      expect(await lane.claim(10_000)).toBeNull();
      expect(await lane.waitForSignal(blocking, 0.05)).toBeNull();
      expect(await lane.enqueueOrLease('direct-1', { priority: 0 }, 10_000)).toBe('present');
      // With a request queued, a new one queues behind it by priority even when the caller asked for a lease.
      await lane.enqueue('queued-low', { priority: 0 });
      expect(await lane.enqueueOrLease('direct-2', { priority: 10 }, 10_000)).toBe('queued');
      expect((await lane.claimMany(10_000, 5)).map((j) => j.batchId)).toEqual(['direct-2', 'queued-low']);
      for (const id of ['direct-1', 'direct-2', 'queued-low']) await lane.release(id);
    } finally {
      blocking.disconnect();
    }
  });

  it('leases an id ahead of its batch only while nothing is queued, and confirms it while it is held', async () => {
    expect(await lane.claim(10_000)).toBeNull();
    expect(await lane.leaseIfIdle('ahead-1', { priority: 5 }, 10_000)).toBe(true);
    // Confirmed at once (the same millisecond, the same deadline) and with the request's own entry.
    expect(
      await lane.confirmLease('ahead-1', { priority: 9, target: { provider: 'mock', model: 'm' } }, 10_000),
    ).toBe(true);
    expect(await lane.leaseIfIdle('ahead-1', { priority: 5 }, 10_000)).toBe(false);
    await lane.enqueue('ahead-queued', { priority: 0 });
    expect(await lane.leaseIfIdle('ahead-2', { priority: 5 }, 10_000)).toBe(false);
    expect(await lane.holds('ahead-2')).toBe(false);
    expect((await lane.claim(10_000))?.batchId).toBe('ahead-queued');
    await lane.release('ahead-queued');
    await lane.release('ahead-1');
    // A lease no longer held is not confirmed (it ran out and was reaped, or was given back).
    expect(await lane.confirmLease('ahead-1', { priority: 9 }, 10_000)).toBe(false);
    expect(await lane.holds('ahead-1')).toBe(false);
  });

  it("puts a caller's lease that ran out back in the queue (its process died), and takes one handed back", async () => {
    expect(
      await lane.enqueueOrLease(
        'direct-dead',
        { priority: 4, target: { provider: 'mock', model: 'm' } },
        100,
      ),
    ).toBe('leased');
    const revived = await waitFor('the expired direct lease reaped', async () => {
      const reaped = await lane.reapExpired();
      return reaped.length > 0 ? reaped : undefined;
    });
    expect(revived).toEqual([{ batchId: 'direct-dead', revivals: 1 }]);
    expect(await lane.claim(10_000)).toMatchObject({ batchId: 'direct-dead', priority: 4 });
    await lane.release('direct-dead');

    const blocking = store.redis.duplicate();
    try {
      expect(
        await lane.enqueueOrLease(
          'direct-back',
          { priority: 6, target: { provider: 'mock', model: 'm' } },
          10_000,
        ),
      ).toBe('leased');
      expect(await lane.requeue('direct-back')).toBe(true);
      expect(await lane.requeue('direct-back')).toBe(false);
      // Handed back: queued again with a token that wakes a worker, and claimed like any queued job.
      expect(await lane.waitForSignal(blocking, 1)).toEqual({
        batchId: 'direct-back',
        target: { provider: 'mock', model: 'm' },
      });
      expect(await lane.claim(10_000)).toMatchObject({ batchId: 'direct-back', priority: 6 });
      await lane.release('direct-back');
    } finally {
      blocking.disconnect();
    }
  });

  it('wakes a blocked consumer with the token of the job just queued', async () => {
    // A claim that finds the queue empty drops the tokens left by jobs taken without one.
    expect(await lane.claim(10_000)).toBeNull();
    const blocking = store.redis.duplicate();
    try {
      const waiting = lane.waitForSignal(blocking, 5);
      await lane.enqueue('woken', { priority: 5, target: { provider: 'mock', model: 'm' } });
      expect(await waiting).toEqual({ batchId: 'woken', target: { provider: 'mock', model: 'm' } });
      await lane.claim(10_000);
      await lane.release('woken');
    } finally {
      blocking.disconnect();
    }
  });
});

describe('individual lane: a worker running from it', () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    // Short leases: a dead worker's job comes back within about a second.
    worker = await startWorker({ JOB_LOCK_DURATION_MS: '1000' }, { MOCK_LATENCY_MS: '0' });
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  const single = async (priority = 5) => {
    const requests = makeRequests(1, `lane-${priority}`);
    const { batch } = await worker.repo.create(
      makeBatch(requests, { kind: 'single', mode: 'individual', priority }),
      requests,
    );
    return batch;
  };

  it('runs a queued request to its end, with its start time, and lets go of it', async () => {
    const batch = await single();
    await worker.queues.enqueueSingle(batch.batch_id, 5, {
      target: { provider: batch.config.provider, model: batch.config.model },
    });
    const done = await waitForTerminal(worker, batch.batch_id);
    expect(done).toMatchObject({ status: 'completed', counts: { succeeded: 1, failed: 0, pending: 0 } });
    expect(Date.parse(done.submitted_at ?? '')).toBeGreaterThanOrEqual(Date.parse(batch.created_at));
    expect((await worker.repo.getResults(batch.batch_id, 0, 1))[0]?.result.request_id).toBe(batch.batch_id);
    await waitFor('the lease released', async () =>
      (await worker.queues.lane.holds(batch.batch_id)) ? undefined : true,
    );
  });

  it('runs again a request whose worker died holding it (its lease ran out)', async () => {
    const batch = await single();
    await worker.queues.enqueueSingle(batch.batch_id, 5);
    // Another "worker" claims it and dies: the running worker may have claimed it first, so only a claim made
    // here is a dead one.
    const stolen = await worker.queues.lane.claim(300);
    const done = await waitForTerminal(worker, batch.batch_id, 15_000);
    expect(done.status).toBe('completed');
    if (stolen) expect(stolen.batchId).toBe(batch.batch_id);
  });

  it('keeps a job whose batch is not stored yet, and runs it once the batch is there', async () => {
    // The API sends the enqueue right behind the create; a create re-sent after NOSCRIPT can land after it.
    const requests = makeRequests(1, 'late');
    const record = makeBatch(requests, { kind: 'single', mode: 'individual' });
    await worker.queues.enqueueSingle(record.batch_id, 5);
    await waitFor('the job claimed', async () => {
      const leased = await worker.app.get(IndividualLane).depths();
      return leased.leased > 0 ? true : undefined;
    });
    // Claimed, found no batch, kept (not dropped): the lane still holds it.
    expect(await worker.queues.lane.holds(record.batch_id)).toBe(true);
    await worker.repo.create(record, requests);
    const done = await waitForTerminal(worker, record.batch_id, 15_000);
    expect(done.status).toBe('completed');
  });

  it('hands a paused provider’s request to a delayed BullMQ job: queued meanwhile, run after the pause', async () => {
    const batch = await single();
    const pauses = worker.app.get(ProviderPauseStore);
    await pauses.pause(batch.config.provider, batch.config.model, 800);
    await worker.queues.enqueueSingle(batch.batch_id, 5, {
      target: { provider: batch.config.provider, model: batch.config.model },
    });
    const job = await waitFor('the delayed BullMQ job', async () => {
      const found = await worker.queues.comparisons.getJob(batch.batch_id);
      return found && (await found.getState()) === 'delayed' ? found : undefined;
    });
    expect(job.data).toMatchObject({ batchId: batch.batch_id });
    expect((await worker.repo.get(batch.batch_id))?.status).toBe('queued');
    expect(await worker.queues.lane.holds(batch.batch_id)).toBe(false);
    expect(await waitForTerminal(worker, batch.batch_id)).toMatchObject({ status: 'completed' });
  });
});

describe('individual lane: two worker replicas on one lane, essays of realistic length', () => {
  const workers: RunningWorker[] = [];
  const REQUESTS = 200;
  // ~3,000 characters per essay, as students write them (the individual endpoint's usual payload).
  const essay = (i: number, side: string) =>
    withHiddenQuality(
      `Essay ${i}${side}: `.concat('The argument weighs evidence against counterpoints. '.repeat(58)),
      (i % 10) / 10,
    );

  beforeAll(async () => {
    const first = await startWorker({}, { MOCK_LATENCY_MS: '20' });
    workers.push(
      first,
      await startWorker({ REDIS_KEY_PREFIX: first.env.REDIS_KEY_PREFIX }, { MOCK_LATENCY_MS: '20' }),
    );
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await clearPrefix(workers[0]);
  });

  it('runs every request exactly once across the replicas, each judged once at the provider', async () => {
    const [a] = workers;
    const ids: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const requests = [
        {
          comparison_id: `r-${i}`,
          user_prompt: 'Which essay argues its case better?',
          essay_a: essay(i, 'A'),
          essay_b: essay(i + 1, 'B'),
        },
      ];
      const { batch } = await a.repo.create(
        makeBatch(requests, { kind: 'single', mode: 'individual', priority: i % 11 }),
        requests,
      );
      await a.queues.enqueueSingle(batch.batch_id, batch.priority, {
        target: { provider: batch.config.provider, model: batch.config.model },
      });
      ids.push(batch.batch_id);
    }
    const done = await Promise.all(ids.map((id) => waitForTerminal(a, id, 60_000)));
    expect(done.every((record) => record.status === 'completed')).toBe(true);
    expect(done.every((record) => record.counts.succeeded === 1)).toBe(true);
    const calls = workers.map((worker) => worker.app.get(ProviderCallCounter).count('mock', 'comparison'));
    expect(calls[0] + calls[1]).toBe(REQUESTS);
    expect(Math.min(...calls)).toBeGreaterThan(0);
    // Leases end just after each run's last write: the lane empties.
    await waitFor('the lane empty', async () => {
      const depths = await a.queues.lane.depths();
      return depths.queued === 0 && depths.leased === 0 ? depths : undefined;
    });
  });
});
