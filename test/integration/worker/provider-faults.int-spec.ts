import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AnthropicFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests } from './support/batch-factory.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

const ANTHROPIC = {
  provider: 'anthropic' as const,
  model: 'claude-haiku-4-5',
  temperature: 0,
  max_tokens: 256,
  system_prompt: 'Judge.',
};
const CREATE = /^POST \/v1\/messages\/batches$/;
const STATUS = /^GET \/v1\/messages\/batches\/[^/]+$/;
const RESULTS = /^GET \/v1\/messages\/batches\/[^/]+\/results$/;

describe('drill: provider 429 / 500 / timeouts against the Anthropic fake', () => {
  const fake = new AnthropicFakeServer();
  let worker: RunningWorker;
  beforeAll(async () => {
    await fake.start();
    worker = await startWorker(
      {},
      {
        ANTHROPIC_API_KEY: fake.apiKey,
        ANTHROPIC_BASE_URL: fake.url,
        LLM_RETRY_ATTEMPTS: '1',
        // Keep the breaker closed: this drill is about the queue's reaction, the breaker has its own tests.
        LLM_BREAKER_FAILURES_TO_OPEN: '20',
      },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await fake.stop();
  });

  it('429s on submission pause the queue and the batch is submitted once, then completes', async () => {
    const requests = makeRequests(6, 'rl');
    const record = makeBatch(requests, { config: ANTHROPIC });
    fake.failNext(429, 2, { 'retry-after': '0' }, CREATE);
    const createdBefore = fake.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('completed');
    expect(done.counts.succeeded).toBe(6);
    expect(fake.createdBatchCount() - createdBefore).toBe(1);
    expect(fake.countRequests(CREATE)).toBeGreaterThanOrEqual(3);
  });

  it('500s while polling and a 408 timeout while collecting are retried; all results arrive', async () => {
    const requests = makeRequests(5, 'se');
    const record = makeBatch(requests, { config: ANTHROPIC });
    fake.failNext(500, 2, {}, STATUS);
    fake.failNext(408, 1, {}, RESULTS);
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('completed');
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    expect(results.every((r) => r.result.winner)).toBe(true);
  });

  it('a non-retryable provider error fails the batch and gives every comparison an error result', async () => {
    const requests = makeRequests(3, 'au');
    const record = makeBatch(requests, { config: ANTHROPIC });
    fake.failNext(401, 1, {}, CREATE);
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('AUTHENTICATION_ERROR');
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.map((r) => r.result.error_detail?.error_code)).toEqual(
      Array(3).fill('AUTHENTICATION_ERROR'),
    );
  });
});

describe('drill: expired provider batch', () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startWorker({}, { MOCK_EXPIRY_RATE: '0.3', MOCK_SEED: '7' });
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
  });

  it('returns what finished and marks the rest BATCH_EXPIRED, status expired', async () => {
    const requests = makeRequests(50, 'ex');
    const record = makeBatch(requests);
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('expired');
    const results = await worker.repo.getResults(record.batch_id, 0, 100);
    expect(results).toHaveLength(50);
    const expired = results.filter((r) => r.result.error_detail?.error_code === 'BATCH_EXPIRED');
    const succeeded = results.filter((r) => r.result.winner);
    expect(expired.length).toBeGreaterThan(0);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(expired.length + succeeded.length).toBe(50);
    expect(done.counts).toEqual({ succeeded: succeeded.length, failed: expired.length, pending: 0 });
  });
});
