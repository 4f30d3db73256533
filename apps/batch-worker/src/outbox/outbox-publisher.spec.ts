import { afterEach, describe, expect, it } from '@jest/globals';
import type { OutboxRepository } from '#batch-store';
import type { WorkerEnv } from '../config/worker-env.js';
import type { BatchOutboxDrainer, DrainResult } from './batch-outbox-drainer.js';
import { OutboxPublisher } from './outbox-publisher.js';
import { OutboxSignal } from './outbox-signal.js';

const EMPTIED: DrainResult = { locked: true, published: 1, deadLettered: 0, emptied: true };

/** A pending set and a drainer whose drains end when the test says so; each call is awaited as an event. */
class FakeOutbox {
  pending: string[] = [];
  listings = 0;
  readonly drains: Array<{ batchId: string; finish: (result: DrainResult) => void }> = [];
  private waiting?: { count: number; resolve: () => void };

  readonly repository = {
    pendingBatchIds: async () => {
      this.listings += 1;
      return [...this.pending];
    },
  } as unknown as OutboxRepository;

  readonly drainer = {
    drain: (batchId: string) =>
      new Promise<DrainResult>((finish) => {
        this.drains.push({ batchId, finish });
        if (this.waiting && this.drains.length >= this.waiting.count) this.waiting.resolve();
      }),
  } as unknown as BatchOutboxDrainer;

  /** Resolves once `count` drains have started in all. */
  started(count: number): Promise<void> {
    if (this.drains.length >= count) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = { count, resolve }));
  }
}

describe('OutboxPublisher', () => {
  let publisher: OutboxPublisher | undefined;
  let fake: FakeOutbox;
  let signal: OutboxSignal;

  function start(concurrency = 4): void {
    fake = new FakeOutbox();
    signal = new OutboxSignal();
    // Polls far apart: every drain below is started by a signal, never by the timer.
    const env = { OUTBOX_POLL_MS: 60_000, OUTBOX_CONCURRENCY: concurrency, OUTBOX_RETRY_MS: 1_000 };
    publisher = new OutboxPublisher(fake.repository, fake.drainer, signal, env as WorkerEnv);
    publisher.onApplicationBootstrap();
  }

  afterEach(async () => {
    for (const drain of fake.drains) drain.finish(EMPTIED);
    await publisher?.onApplicationShutdown();
    publisher = undefined;
  });

  it('drains a batch its producer named without listing the pending set again', async () => {
    start();
    signal.notify('b1');
    await fake.started(1);
    fake.drains[0].finish(EMPTIED);
    signal.notify('b2');
    await fake.started(2);
    expect(fake.drains.map((d) => d.batchId)).toEqual(['b1', 'b2']);
    expect(fake.listings).toBe(1); // the first round's listing only
  });

  it('drains a batch again when it was named while its drain ran (that drain may have read before)', async () => {
    start();
    signal.notify('b1');
    await fake.started(1);
    // b2 starting shows the round that saw b1 still running has happened.
    signal.notify('b1');
    signal.notify('b2');
    await fake.started(2);
    fake.drains[0].finish(EMPTIED);
    await fake.started(3);
    expect(fake.drains.map((d) => d.batchId)).toEqual(['b1', 'b2', 'b1']);
  });

  it('drains again a batch whose drain gave its slot back with events left', async () => {
    start();
    signal.notify('b1');
    await fake.started(1);
    fake.drains[0].finish({ locked: true, published: 5_000, deadLettered: 0 });
    await fake.started(2);
    expect(fake.drains[1].batchId).toBe('b1');
  });

  it('starts a batch left for want of a slot as soon as one frees, without listing the pending set again', async () => {
    start(1);
    fake.pending = ['b2'];
    signal.notify('b1');
    signal.notify('b2');
    await fake.started(1);
    expect(fake.drains.map((d) => d.batchId)).toEqual(['b1']);
    fake.drains[0].finish(EMPTIED);
    await fake.started(2);
    expect(fake.drains[1].batchId).toBe('b2');
    expect(fake.listings).toBe(1); // the first round's only
  });

  it('drains a long pending set through few slots with one listing (not one per freed slot)', async () => {
    start(2);
    fake.pending = Array.from({ length: 40 }, (_, i) => `p${i}`);
    signal.notify();
    await fake.started(1);
    // The round the signal asked for has listed the pending set; freed slots must not list it again.
    const listed = fake.listings;
    for (let n = 1; n <= 40; n += 1) {
      await fake.started(n);
      // A slot frees as each drain starts beyond the first two: drains end in the order they began.
      if (n >= 2) fake.drains[n - 2].finish(EMPTIED);
    }
    expect(new Set(fake.drains.map((d) => d.batchId))).toEqual(new Set(fake.pending));
    expect(fake.drains).toHaveLength(40);
    expect(fake.listings).toBe(listed);
  });
});
