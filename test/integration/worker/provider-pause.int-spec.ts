import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AnthropicFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { clearPrefix, startWorker, type RunningWorker } from './support/worker-harness.js';

const ANTHROPIC = {
  provider: 'anthropic' as const,
  model: 'claude-sonnet-4-6',
  temperature: 0,
  max_tokens: 256,
  system_prompt: 'Judge.',
};
const CREATE = /^POST \/v1\/messages\/batches$/;

async function status(worker: RunningWorker, batchId: string, wanted: string[], timeoutMs = 10_000) {
  return waitFor(
    `batch ${batchId} in ${wanted.join('|')}`,
    async () => {
      const r = await worker.repo.get(batchId);
      return r && wanted.includes(r.status) ? r : undefined;
    },
    timeoutMs,
  );
}

// Anthropic answers every batch create with 429 and `retry-after: 60` (its documented rate-limit reply); the queue
// must not stop for it: mock batches and polls of an already submitted Anthropic batch go on.
describe('fault tolerance: a rate limit pauses only the provider and model concerned', () => {
  const fake = new AnthropicFakeServer();
  let worker: RunningWorker;

  beforeAll(async () => {
    await fake.start();
    worker = await startWorker(
      { WORKER_CONCURRENCY: '2' },
      { ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.url, LLM_RETRY_ATTEMPTS: '1' },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await fake.stop();
  });

  it('other providers and every poll continue while one model waits out its Retry-After', async () => {
    fake.holdBatches();
    const runningRequests = makeRequests(4, 'running');
    const running = makeBatch(runningRequests, { config: ANTHROPIC });
    await worker.repo.create(running, runningRequests);
    await worker.queues.enqueueBatch(running.batch_id);
    await status(worker, running.batch_id, ['submitted', 'in_progress']);

    fake.failNext(429, 1_000, { 'retry-after': '60' }, CREATE);
    const limitedRequests = makeRequests(4, 'limited');
    const limited = makeBatch(limitedRequests, { config: ANTHROPIC });
    await worker.repo.create(limited, limitedRequests);
    await worker.queues.enqueueBatch(limited.batch_id);
    await waitFor('the 429 on create', () => (fake.countRequests(CREATE) >= 2 ? true : undefined));

    const mockRequests = makeRequests(5, 'other');
    const other = makeBatch(mockRequests);
    await worker.repo.create(other, mockRequests);
    await worker.queues.enqueueBatch(other.batch_id);
    const otherDone = await status(worker, other.batch_id, ['completed']);
    expect(otherDone.counts.succeeded).toBe(5);

    fake.releaseBatches();
    const runningDone = await status(worker, running.batch_id, ['completed']);
    expect(runningDone.counts.succeeded).toBe(4);

    expect((await worker.repo.get(limited.batch_id))?.status).toBe('queued');
    // One refused create; the paused model was not asked again while paused.
    expect(fake.countRequests(CREATE)).toBe(2);
  });
});
