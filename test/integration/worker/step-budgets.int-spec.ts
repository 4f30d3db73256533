import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ServerResponse } from 'node:http';
import { AnthropicFakeServer } from '#llm-providers/testing';
import type { RecordedRequest } from '../../../libs/llm-providers/testing/fake-http-server.js';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

const ANTHROPIC = {
  provider: 'anthropic' as const,
  model: 'claude-sonnet-4-6',
  temperature: 0,
  max_tokens: 256,
  system_prompt: 'Judge.',
};
const STATUS = /^GET \/v1\/messages\/batches\/[^/]+$/;

/**
 * The Anthropic fake, but once `acceptCreates` batches exist every further create is refused with `status`: a
 * provider that starts refusing in the middle of a multi-part submission (quota reached, key revoked, outage).
 */
class RefusingCreatesFake extends AnthropicFakeServer {
  acceptCreates = Number.POSITIVE_INFINITY;
  refusal = 500;

  protected override route(req: RecordedRequest, res: ServerResponse): void {
    const create = req.method === 'POST' && req.path.split('?')[0] === '/v1/messages/batches';
    if (create && this.createdBatchCount() >= this.acceptCreates) {
      return this.replyError(res, this.refusal, this.errorTypeFor(this.refusal), 'refused (fake)');
    }
    return super.route(req, res);
  }

  cancelsOf(batchId: string): number {
    return this.countRequests(new RegExp(`^POST /v1/messages/batches/${batchId}/cancel$`));
  }
}

describe('fault tolerance: retry budgets per step, cancels before failing', () => {
  const fake = new RefusingCreatesFake();
  let worker: RunningWorker;

  beforeAll(async () => {
    await fake.start();
    worker = await startWorker(
      { STEP_RETRY_BASE_MS: '20', STEP_RETRY_MAX_MS: '150', STEP_SUBMIT_ATTEMPTS: '100' },
      {
        ANTHROPIC_API_KEY: fake.apiKey,
        ANTHROPIC_BASE_URL: fake.url,
        // Three parts of two comparisons each, so a submission can stop half-way.
        ANTHROPIC_MAX_BATCH_REQUESTS: '2',
        LLM_RETRY_ATTEMPTS: '1',
        LLM_BREAKER_FAILURES_TO_OPEN: '1000',
      },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await fake.stop();
  });

  beforeEach(() => {
    fake.acceptCreates = Number.POSITIVE_INFINITY;
    fake.releaseBatches();
  });

  it('keeps polling through more transient errors than a job has attempts; the results are stored', async () => {
    const requests = makeRequests(4, 'poll500');
    const record = makeBatch(requests, { config: ANTHROPIC });
    const createdBefore = fake.createdBatchCount();
    // 20 consecutive 500s while polling: more than BullMQ's 8 job attempts, which used to fail the batch.
    fake.failNext(500, 20, {}, STATUS);
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 30_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ succeeded: 4, failed: 0, pending: 0 });
    expect(fake.createdBatchCount() - createdBefore).toBe(2);
    expect(fake.countRequests(STATUS)).toBeGreaterThan(20);
  });

  it('a submission refused half-way fails the batch and cancels the part already created', async () => {
    const requests = makeRequests(6, 'half401');
    const record = makeBatch(requests, { config: ANTHROPIC });
    fake.holdBatches();
    fake.acceptCreates = fake.createdBatchCount() + 1;
    fake.refusal = 401;
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('AUTHENTICATION_ERROR');
    expect(done.provider_ref?.parts).toHaveLength(1);
    const partId = done.provider_ref!.parts[0].provider_batch_id;
    expect(fake.cancelsOf(partId)).toBe(1);
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results).toHaveLength(6);
  });

  it('a cancel while queued with recorded parts cancels them at the provider', async () => {
    const requests = makeRequests(6, 'qcancel');
    const record = makeBatch(requests, { config: ANTHROPIC });
    fake.holdBatches();
    fake.acceptCreates = fake.createdBatchCount() + 1;
    fake.refusal = 500;
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const partial = await waitFor('first part recorded', async () => {
      const r = await worker.repo.get(record.batch_id);
      return r?.provider_ref?.parts.length === 1 ? r : undefined;
    });
    expect(partial.status).toBe('queued');
    await worker.repo.requestCancel(record.batch_id);
    const done = await waitForTerminal(worker, record.batch_id, 30_000);
    expect(done.status).toBe('canceled');
    expect(fake.cancelsOf(partial.provider_ref!.parts[0].provider_batch_id)).toBe(1);
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.map((r) => r.result.error_detail?.error_code)).toEqual(Array(6).fill('CANCELED'));
  });
});
