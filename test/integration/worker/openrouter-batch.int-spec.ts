import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ResolvedLlmConfig } from '#contracts';
import { OpenRouterFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

const CONFIG: ResolvedLlmConfig = {
  provider: 'openrouter',
  model: 'anthropic/claude-sonnet-4.6',
  temperature: 0,
  max_tokens: 512,
  system_prompt: 'Judge.',
};

/**
 * Issue 9.4 through the worker, on real Redis: OpenRouter's batch API has no cancel endpoint, and a refused
 * create is a plain 4xx (no documented "batch not supported" code).
 */
describe('OpenRouter batches through the worker', () => {
  const fake = new OpenRouterFakeServer();
  let worker: RunningWorker;

  beforeAll(async () => {
    await fake.start();
    worker = await startWorker(
      {},
      { OPENROUTER_API_KEY: fake.apiKey, OPENROUTER_BASE_URL: `${fake.url}/api/v1` },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await fake.stop();
  });

  it('a cancel ends the batch as canceled on our side at once; the provider batch runs on, unread', async () => {
    fake.holdBatches();
    const requests = makeRequests(4, 'or-cancel');
    const record = makeBatch(requests, { config: CONFIG });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    await waitFor('submitted', async () => {
      const r = await worker.repo.get(record.batch_id);
      return r?.provider_ref?.parts.length && r.status !== 'queued' ? r : undefined;
    });

    await worker.repo.requestCancel(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 30_000);

    expect(done.status).toBe('canceled');
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.map((r) => r.result.error_detail?.error_code)).toEqual(Array(4).fill('CANCELED'));
    expect(fake.countRequests(/cancel/)).toBe(0);
    expect(fake.countRequests(/^DELETE /)).toBe(0);
    expect(fake.batchIds()).toContain(done.provider_ref!.parts[0].provider_batch_id);
    fake.releaseBatches();
  });

  it("an undocumented 4xx on create fails the batch with OpenRouter's message; nothing is served individually", async () => {
    fake.refuseNextCreate(400, 'No allowed providers are available for the selected model');
    const requests = makeRequests(3, 'or-refused');
    const record = makeBatch(requests, { config: CONFIG });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 30_000);

    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('No allowed providers are available'),
    });
    expect(fake.countRequests(/chat\/completions/)).toBe(0);
  });
});
