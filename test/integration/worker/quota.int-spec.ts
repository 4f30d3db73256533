import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ResolvedLlmConfig } from '#contracts';
import { AnthropicFakeServer, OpenAIFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests, waitFor } from './support/batch-factory.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

const OPENAI: ResolvedLlmConfig = {
  provider: 'openai',
  model: 'gpt-5.4-mini',
  temperature: 0,
  max_tokens: 512,
  system_prompt: 'Judge.',
};
const ANTHROPIC: ResolvedLlmConfig = { ...OPENAI, provider: 'anthropic', model: 'claude-haiku-4-5' };
/** One gpt-5.4-mini judge request here is ~3,200 estimated tokens (2,560 of them output room): 3 fit in 10,000. */
const BUDGET = 10_000;

type Json = Record<string, unknown>;
/**
 * Issue 9.5, quotas, against the OpenAI fake's enqueued-token limit (token_limit_exceeded at validation fails the
 * whole batch) and the Anthropic fake's processing-queue limit (429 on create). Real Redis for the worker's
 * ledger, pauses and records.
 */
describe('quotas: parts split by the enqueued-token budget, refusals wait and resubmit', () => {
  const openai = new OpenAIFakeServer();
  const anthropic = new AnthropicFakeServer();
  let worker: RunningWorker;

  beforeAll(async () => {
    await Promise.all([openai.start(), anthropic.start()]);
    // Each batch stays in progress for one poll, so the queue is really occupied while later parts wait.
    openai.pollsUntilEnded = 3;
    worker = await startWorker(
      { QUOTA_WAIT_MS: '100', QUOTA_MAX_REFUSALS: '50' },
      {
        OPENAI_API_KEY: openai.apiKey,
        OPENAI_BASE_URL: `${openai.url}/v1`,
        OPENAI_ENQUEUED_TOKEN_BUDGET: String(BUDGET),
        ANTHROPIC_API_KEY: anthropic.apiKey,
        ANTHROPIC_BASE_URL: anthropic.url,
        LLM_RETRY_ATTEMPTS: '1',
        LLM_BREAKER_FAILURES_TO_OPEN: '100',
      },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await Promise.all([openai.stop(), anthropic.stop()]);
  });

  it('OpenAI: a batch over the budget goes in parts, each submitted when the previous left the queue', async () => {
    openai.enqueuedTokenLimit = BUDGET;
    const requests = makeRequests(8, 'split');
    const record = makeBatch(requests, { config: OPENAI });
    const before = openai.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ succeeded: 8, failed: 0, pending: 0 });
    expect(done.provider_ref?.part_count).toBe(3);
    expect(done.quota_refusals ?? 0).toBe(0);
    // Three provider batches of 3, 3 and 2 lines; the queue never held more than the limit, so none was refused.
    const created = openai.submittedBatches().slice(before);
    expect(created.map((b) => b.lines.length)).toEqual([3, 3, 2]);
    expect(openai.peakEnqueuedTokens()).toBeLessThanOrEqual(BUDGET);
    expect(openai.enqueuedTokens(OPENAI.model)).toBe(0);
  });

  it('OpenAI: token_limit_exceeded (the queue is full of other work) makes the part wait and go again', async () => {
    openai.enqueuedTokenLimit = BUDGET;
    // Another user of the organisation holds most of the model's queue.
    openai.occupyQueue(OPENAI.model, BUDGET - 1_000);
    const requests = makeRequests(3, 'refused');
    const record = makeBatch(requests, { config: OPENAI });
    const before = openai.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const refusedOnce = await waitFor('a quota refusal', async () => {
      const r = await worker.repo.get(record.batch_id);
      return r && (r.quota_refusals ?? 0) >= 1 ? r : undefined;
    });
    expect(['queued', 'submitted', 'in_progress']).toContain(refusedOnce.status);
    openai.occupyQueue(OPENAI.model, 0);

    const done = await waitForTerminal(worker, record.batch_id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ succeeded: 3, failed: 0, pending: 0 });
    const refusals = done.quota_refusals ?? 0;
    expect(refusals).toBeGreaterThanOrEqual(1);
    // Every refused provider batch failed validation with token_limit_exceeded; one more carried the work.
    const created = openai.submittedBatches().slice(before);
    expect(created).toHaveLength(refusals + 1);
    const statuses = await Promise.all(
      created.map(async (b) => {
        const res = await fetch(`${openai.url}/v1/batches/${b.id}`, {
          headers: { authorization: `Bearer ${openai.apiKey}` },
        });
        return (await res.json()) as Json;
      }),
    );
    const refused = statuses.filter((s) => s.status === 'failed');
    expect(refused).toHaveLength(refusals);
    for (const s of refused) {
      expect(((s.errors as Json).data as Json[])[0].code).toBe('token_limit_exceeded');
    }
    expect(statuses.filter((s) => s.status === 'completed')).toHaveLength(1);
  });

  it('Anthropic: a 429 on create (processing queue full) waits until an earlier batch ends, then submits', async () => {
    anthropic.queueLimit = 6;
    anthropic.holdBatches();
    const first = makeRequests(4, 'q-first');
    const second = makeRequests(4, 'q-second');
    const a = makeBatch(first, { config: ANTHROPIC });
    const b = makeBatch(second, { config: ANTHROPIC });
    await worker.repo.create(a, first);
    await worker.queues.enqueueBatch(a.batch_id);
    await waitFor('first batch submitted', async () => (await worker.repo.get(a.batch_id))?.provider_ref);
    await worker.repo.create(b, second);
    await worker.queues.enqueueBatch(b.batch_id);
    await waitFor('a refusal of the second', async () => {
      const r = await worker.repo.get(b.batch_id);
      return r && (r.quota_refusals ?? 0) >= 1 ? r : undefined;
    });
    expect(anthropic.createdBatchCount()).toBe(1);
    anthropic.releaseBatches();

    const [doneA, doneB] = await Promise.all([
      waitForTerminal(worker, a.batch_id, 60_000),
      waitForTerminal(worker, b.batch_id, 60_000),
    ]);
    expect([doneA.status, doneB.status]).toEqual(['completed', 'completed']);
    expect(doneB.counts.succeeded).toBe(4);
    expect(anthropic.createdBatchCount()).toBe(2);
    expect(anthropic.peakQueuedRequests()).toBeLessThanOrEqual(6);
  });
});

describe('quotas: a queue that never frees ends the batch with QUOTA_EXCEEDED after the bounded refusals', () => {
  const openai = new OpenAIFakeServer();
  let worker: RunningWorker;

  beforeAll(async () => {
    await openai.start();
    worker = await startWorker(
      { QUOTA_WAIT_MS: '50', QUOTA_MAX_REFUSALS: '2' },
      {
        OPENAI_API_KEY: openai.apiKey,
        OPENAI_BASE_URL: `${openai.url}/v1`,
        OPENAI_ENQUEUED_TOKEN_BUDGET: String(BUDGET),
      },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await openai.stop();
  });

  it('fails the batch with a clear code, every comparison QUOTA_EXCEEDED, after QUOTA_MAX_REFUSALS + 1 tries', async () => {
    openai.enqueuedTokenLimit = BUDGET;
    openai.occupyQueue(OPENAI.model, BUDGET);
    const requests = makeRequests(2, 'never');
    const record = makeBatch(requests, { config: OPENAI });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('QUOTA_EXCEEDED');
    expect(done.quota_refusals).toBe(3);
    expect(openai.createdBatchCount()).toBe(3);
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.map((r) => r.result.error_detail?.error_code)).toEqual([
      'QUOTA_EXCEEDED',
      'QUOTA_EXCEEDED',
    ]);
  });
});
