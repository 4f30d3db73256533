import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { BatchWakeups } from '#batch-store';
import { signedOpenAiBatchCompleted } from '#llm-providers/testing';
import { waitFor } from '../worker/support/batch-factory.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';
import { auth, markedComparisons, startApi, TEST_PROVIDER_ENV } from './support/api-harness.js';

const SECRET = `whsec_${Buffer.from('integration-openai-webhook-secret-0123').toString('base64')}`;
const TEN_MINUTES = '600000';

const signedOpenAiEvent = (providerBatchId: string, webhookId: string) =>
  signedOpenAiBatchCompleted(SECRET, providerBatchId, webhookId);

describe('push, then poll: a verified provider notification wakes a batch polled every 10 minutes', () => {
  let worker: RunningWorker;
  let api: NestExpressApplication;

  beforeAll(async () => {
    // Polls every 10 minutes: within this test's time only the notification can finish the batch.
    worker = await startWorker(
      { BATCH_POLL_INTERVAL_MS: TEN_MINUTES, BATCH_POLL_MAX_INTERVAL_MS: TEN_MINUTES },
      // The Mock's batch is finished as soon as it exists, so only the poll's timing is under test.
      { ...TEST_PROVIDER_ENV, MOCK_LATENCY_MS: '0' },
    );
    api = await startApi(worker.env.REDIS_KEY_PREFIX, { OPENAI_WEBHOOK_SECRET: SECRET });
  });

  afterAll(async () => {
    await api.close();
    await worker.stop();
    await clearPrefix(worker);
  });

  it('runs the delayed poll at once, collects the results, and ignores the duplicate and a forgery', async () => {
    const comparisons = markedComparisons(20);
    const accepted = await request(api.getHttpServer())
      .post('/api/v1/comparison/batch')
      .set(auth)
      .send({ comparisons })
      .expect(202);
    const batchId = accepted.body.batch_id as string;
    const submitted = await waitFor('submitted and waiting for its 10-minute poll', async () => {
      const record = await worker.repo.get(batchId);
      const job = await worker.queues.batches.getJob(batchId);
      return record?.status === 'submitted' && (await job?.isDelayed()) ? record : undefined;
    });
    const providerBatchId = submitted.provider_ref!.parts[0].provider_batch_id;
    // The Mock stands in for OpenAI here: index its batch id under openai, as the step runner does for OpenAI.
    await worker.app.get(BatchWakeups).indexProviderBatches(batchId, 'openai', [providerBatchId]);

    const forged = signedOpenAiEvent(providerBatchId, 'wh_forged');
    await request(api.getHttpServer())
      .post('/webhooks/openai')
      .set({ ...forged.headers, 'webhook-signature': 'v1,AAAA' })
      .send(forged.body)
      .expect(401);
    expect(await (await worker.queues.batches.getJob(batchId))!.isDelayed()).toBe(true);

    const event = signedOpenAiEvent(providerBatchId, 'wh_real');
    const woken = await request(api.getHttpServer())
      .post('/webhooks/openai')
      .set(event.headers)
      .send(event.body)
      .expect(200);
    expect(woken.body).toEqual({ status: 'woken', batch_id: batchId });
    const again = await request(api.getHttpServer())
      .post('/webhooks/openai')
      .set(event.headers)
      .send(event.body)
      .expect(200);
    expect(again.body.status).toBe('duplicate');

    const done = await waitFor(
      'completed after the notification',
      async () => {
        const record = await worker.repo.get(batchId);
        return record?.status === 'completed' ? record : undefined;
      },
      15_000,
    );
    expect(done.counts).toEqual({ succeeded: 20, failed: 0, pending: 0 });
    const results = await worker.repo.getResults(batchId, 0, 20);
    expect(results.map((r) => r.comparison_id)).toEqual(comparisons.map((c) => c.comparison_id));
  });
});
