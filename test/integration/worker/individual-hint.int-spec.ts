import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderPauseStore } from '#batch-store';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

// An individual job carries its provider/model (a copy of the stored config) so the worker checks their pauses
// in the same round trip as its first reads. The stored record still decides: a hint that names another model
// must not let the job past the record's own pause.
describe('individual jobs: the provider/model hint', () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startWorker({}, { MOCK_LATENCY_MS: '0' });
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  const single = async () => {
    const requests = makeRequests(1);
    const { batch } = await worker.repo.create(
      makeBatch(requests, { kind: 'single', mode: 'individual' }),
      requests,
    );
    return batch;
  };

  it('waits while the model it names is paused, then runs', async () => {
    const batch = await single();
    const pauses = worker.app.get(ProviderPauseStore);
    await pauses.pause(batch.config.provider, batch.config.model, 600);
    await worker.queues.enqueueSingle(batch.batch_id, 5, {
      target: { provider: batch.config.provider, model: batch.config.model },
    });
    // Still queued while paused: the job waits instead of calling the provider.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await worker.repo.get(batch.batch_id))?.status).toBe('queued');
    expect(await waitForTerminal(worker, batch.batch_id)).toMatchObject({ status: 'completed' });
  });

  it("checks the record's own model when the hint names another", async () => {
    const batch = await single();
    const pauses = worker.app.get(ProviderPauseStore);
    await pauses.pause(batch.config.provider, batch.config.model, 600);
    await worker.queues.enqueueSingle(batch.batch_id, 5, {
      target: { provider: batch.config.provider, model: 'another-model' },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await worker.repo.get(batch.batch_id))?.status).toBe('queued');
    const done = await waitFor('completed', async () => {
      const r = await worker.repo.get(batch.batch_id);
      return r?.status === 'completed' ? r : undefined;
    });
    expect(done.counts).toEqual({ succeeded: 1, failed: 0, pending: 0 });
  });
});
