import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadProvidersConfig, resolveLlmConfig } from '#llm-providers';
import { OpenAIFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests, waitFor } from '../worker/support/batch-factory.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';

const TEN_MINUTES = '600000';
const RETRIEVE = /^GET \/v1\/batches\/[^/]+$/;

// Push, then poll, when the push never comes: OpenAI is configured as notifying (WEBHOOK_PROVIDERS), so the worker
// polls only at the safety interval; no webhook is ever sent. The batch must still complete, through that poll.
describe('push, then poll: a lost provider notification', () => {
  const fake = new OpenAIFakeServer();
  let worker: RunningWorker;
  let config: ReturnType<typeof resolveLlmConfig>;

  beforeAll(async () => {
    await fake.start();
    const providerEnv = { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: `${fake.url}/v1` };
    worker = await startWorker(
      {
        WEBHOOK_PROVIDERS: 'openai',
        BATCH_POLL_SAFETY_INTERVAL_MS: '1000',
        // Without the notification, only the safety poll can finish the batch within this test's time.
        BATCH_POLL_INTERVAL_MS: TEN_MINUTES,
        BATCH_POLL_MAX_INTERVAL_MS: TEN_MINUTES,
      },
      providerEnv,
    );
    config = resolveLlmConfig({ provider_override: 'openai' }, loadProvidersConfig(providerEnv));
  });

  afterAll(async () => {
    await worker?.stop();
    if (worker) await clearPrefix(worker);
    await fake.stop();
  });

  it('completes a batch whose notification never arrives through the safety poll', async () => {
    const requests = makeRequests(5, 'lost');
    const record = makeBatch(requests, { config });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    // It waits on a delayed job (the safety poll), not on a running step.
    await waitFor('submitted and waiting for the safety poll', async () => {
      const r = await worker.repo.get(record.batch_id);
      const job = await worker.queues.batches.getJob(record.batch_id);
      return r?.status === 'submitted' && (await job?.isDelayed()) ? true : undefined;
    });
    const done = await waitFor(
      'completed through the safety poll',
      async () => {
        const r = await worker.repo.get(record.batch_id);
        return r?.status === 'completed' ? r : undefined;
      },
      30_000,
    );
    expect(done.counts).toEqual({ succeeded: 5, failed: 0, pending: 0 });
    const results = await worker.repo.getResults(record.batch_id, 0, 5);
    expect(results.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    // One batch, a handful of status reads: the safety net, not a busy poll.
    expect(fake.createdBatchCount()).toBe(1);
    const retrieves = fake.countRequests(RETRIEVE);
    expect(retrieves).toBeGreaterThanOrEqual(1);
    expect(retrieves).toBeLessThanOrEqual(3);
  });
});
