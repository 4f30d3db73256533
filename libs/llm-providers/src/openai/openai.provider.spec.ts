import { runProviderContractSuite } from '../../testing/contract-suite.js';
import {
  fakeComparison,
  type FakeProviderOptions,
  type FakeProviderSetup,
  makeFakeHarness,
  OPENAI_ON_FAKE,
  setUpOnFake,
} from '../../testing/fake-provider-harness.js';
import { OpenAIFakeServer } from '../../testing/openai-fake-server.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import type { ProviderError } from '../core/provider-error.js';
import { OpenAIProvider } from './openai.provider.js';

type Setup = FakeProviderSetup<OpenAIProvider>;
const setUp = (fake: OpenAIFakeServer, options?: FakeProviderOptions): Setup =>
  setUpOnFake(OPENAI_ON_FAKE, fake, options);

runProviderContractSuite('openai', (options) => makeFakeHarness(OPENAI_ON_FAKE, options));

const comparison = fakeComparison;

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: ProviderError) => err,
  );
}

type Body = Record<string, unknown>;

describe('OpenAIProvider against the OpenAI fake', () => {
  let fake: OpenAIFakeServer;
  let setup: Setup | undefined;
  const open = (options?: Parameters<typeof setUp>[1]) => (setup = setUp(fake, options));

  beforeEach(async () => {
    fake = new OpenAIFakeServer();
    await fake.start();
  });

  afterEach(async () => {
    setup?.test.close();
    setup = undefined;
    await fake.stop();
  });

  it('sends a strict json_schema response format with the Bearer key', async () => {
    // gpt-4.1-mini takes a temperature; it retires 2027-01-14, so the clock is fixed before that.
    const { provider } = open({ clock: () => Date.parse('2026-12-01T12:00:00Z') });
    const response = await provider.generateComparison(comparison('c-1', 2, 7), {
      model_override: 'gpt-4.1-mini',
      temperature_override: 0.3,
    });

    expect(response.answer.winner).toBe('Essay B');
    expect(fake.requestLog[0].headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    const [body] = fake.completionBodies();
    expect(body).toMatchObject({
      model: 'gpt-4.1-mini',
      temperature: 0.3,
      response_format: { type: 'json_schema', json_schema: { name: 'comparison', strict: true } },
    });
    const messages = body.messages as Array<{ role: string; content: unknown }>;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('keeps the requested model as identity and the dated snapshot OpenAI reports as served_model', async () => {
    const { provider } = open();
    const requests = [comparison('m-1', 1, 2), comparison('m-2', 3, 1)];
    const outcome = await provider.generateBatchComparison(requests, { temperature_override: 0 });
    const single = await provider.generateComparison(comparison('m-3', 1, 2), {});
    expect(outcome.errors).toEqual([]);
    for (const response of [...outcome.responses, single]) {
      expect(response.model).toBe('gpt-5.4-mini');
      expect(response.served_model).toBe('gpt-5.4-mini-2026-03-17');
      // Priced as the requested model: $0.75 in / $4.50 out (cache reads $0.075).
      const { prompt_tokens, completion_tokens, cache_read_tokens = 0 } = response.usage;
      const individual =
        ((prompt_tokens - cache_read_tokens) * 0.75 + cache_read_tokens * 0.075 + completion_tokens * 4.5) /
        1e6;
      expect(response.cost.individual_cost_usd).toBeCloseTo(individual, 8);
    }
  });

  it('gives reasoning room and sets reasoning_effort, so a small answer limit still completes', async () => {
    const { provider } = open();
    const response = await provider.generateComparison(comparison('r-1', 1, 2), { max_tokens_override: 64 });
    expect(response.answer.winner).toBe('Essay B');
    const [body] = fake.completionBodies();
    // 64 for the answer + the catalog's 2,048 reasoning allowance; the judge task reasons at `low`.
    expect(body).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 64 + 2048 });
    expect(response.usage.reasoning_tokens).toBeGreaterThan(0);
    expect(response.usage.completion_tokens).toBeGreaterThan(response.usage.reasoning_tokens!);
  });

  it('reports an answer cut off by reasoning tokens as OUTPUT_TRUNCATED, in single calls and batches', async () => {
    const { provider } = open({ env: { OPENAI_ALLOW_UNLISTED_MODELS: 'true' } });
    // An unlisted reasoning model gets no allowance and no effort: its default reasoning uses the whole limit.
    const overrides = { model_override: 'gpt-6-experimental', max_tokens_override: 256 };
    const error = await rejection(provider.generateComparison(comparison('t-1', 1, 2), overrides));
    expect(error.code).toBe('OUTPUT_TRUNCATED');
    expect(error.retryable).toBe(false);
    expect(error.details).toMatchObject({ reasoning_tokens: 256, completion_tokens: 256 });
    const outcome = await provider.generateBatchComparison([comparison('t-2', 1, 2)], overrides);
    expect(outcome.errors.map((e) => e.error.code)).toEqual(['OUTPUT_TRUNCATED']);
  });

  it('leaves temperature out for the default reasoning model', async () => {
    const { provider } = open();
    await provider.generateComparison(comparison('c-1', 2, 7), { temperature_override: 0.3 });
    expect(fake.completionBodies()[0]).not.toHaveProperty('temperature');
  });

  it('reports prompt_tokens_details.cached_tokens as cache reads', async () => {
    const { provider } = open();
    const first = await provider.generateComparison(comparison('c-1', 1, 2), {});
    const second = await provider.generateComparison(comparison('c-2', 1, 2), {});
    expect(first.usage.cache_read_tokens).toBe(0);
    expect(second.usage.cache_read_tokens).toBeGreaterThan(0);
    expect(second.usage.prompt_tokens).toBeGreaterThan(second.usage.cache_read_tokens!);
  });

  it('retries a 429 after its retry-after-ms, then succeeds', async () => {
    const { provider, test } = open();
    fake.failNext(429, 1, { 'retry-after-ms': '1500' });
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).resolves.toBeDefined();
    expect(fake.countRequests(/^POST \/v1\/chat\/completions$/)).toBe(2);
    expect(test.sleeps[0]).toBeGreaterThanOrEqual(1_500);
    expect(test.counter.count('openai', 'comparison')).toBe(2);
  });

  it('retries 500s, then succeeds; gives up after the configured attempts', async () => {
    const { provider, test } = open();
    fake.failNext(500, 2);
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).resolves.toBeDefined();
    expect(fake.countRequests(/^POST \/v1\/chat\/completions$/)).toBe(3);

    fake.failNext(503, 10);
    const error = await rejection(provider.generateComparison(comparison('c-2', 1, 2), {}));
    expect(error.code).toBe('EXTERNAL_SERVICE_ERROR');
    expect(fake.countRequests(/^POST \/v1\/chat\/completions$/)).toBe(3 + test.config.retry.attempts);
  });

  it('reports a wrong key as AUTHENTICATION_ERROR without retrying', async () => {
    const { provider } = open({ apiKey: 'sk-wrong' });
    const error = await rejection(provider.submitBatch([comparison('c-1', 1, 2)], {}, { batchKey: 'auth' }));
    expect(error.code).toBe('AUTHENTICATION_ERROR');
    expect(error.retryable).toBe(false);
    expect(fake.requestLog).toHaveLength(1);
  });

  it('reports a malformed JSON answer of a single call as INVALID_RESPONSE', async () => {
    const { provider } = open();
    fake.setItemBehaviour('[[bad]]', 'malformed');
    const error = await rejection(provider.generateComparison(comparison('c-1', 1, 2, '[[bad]]'), {}));
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('uploads a valid JSONL input file and tags the batch with its key', async () => {
    const { provider } = open();
    const requests = [comparison('assessment 7/pair:1', 1, 2), comparison('assessment 7/pair:2', 2, 1)];
    const outcome = await provider.generateBatchComparison(requests, {});

    expect(outcome.responses.map((r) => r.answer.winner)).toEqual(['Essay B', 'Essay A']);
    const upload = fake.requestLog.find((r) => r.path === '/v1/files')!;
    expect(String(upload.headers['content-type'])).toMatch(/^multipart\/form-data/);
    const [batch] = fake.submittedBatches();
    expect(batch.id).toMatch(/^batch_/);
    expect(batch.metadata).toMatchObject({ batch_key: expect.stringMatching(/^adhoc-/) });
    for (const line of batch.lines) {
      expect(line).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
      expect((line.body as Body).response_format).toMatchObject({ type: 'json_schema' });
    }
    for (const response of outcome.responses) {
      expect(response.cost.cost_usd).toBeCloseTo(response.cost.individual_cost_usd! / 2, 8);
    }
  });

  it('reads both the output and the error file, matching lines out of order', async () => {
    const { provider } = open();
    fake.setItemBehaviour('[[error]]', 'error');
    fake.setItemBehaviour('[[bad]]', 'malformed');
    const requests = [
      comparison('ok-1', 5, 1),
      comparison('errored', 1, 2, '[[error]]'),
      comparison('ok-2', 1, 5),
      comparison('malformed', 1, 2, '[[bad]]'),
      comparison('ok-3', 4, 2),
    ];
    const outcome = await provider.generateBatchComparison(requests, {});
    expect(outcome.responses.map((r) => [r.comparison_id, r.answer.winner])).toEqual([
      ['ok-1', 'Essay A'],
      ['ok-2', 'Essay B'],
      ['ok-3', 'Essay A'],
    ]);
    expect(outcome.errors.map((e) => [e.comparison_id, e.error.code, e.error.status])).toEqual([
      ['errored', 'INVALID_REQUEST', 400],
      ['malformed', 'INVALID_RESPONSE', undefined],
    ]);
    expect(fake.countRequests(/^GET \/v1\/files\/[^/]+\/content$/)).toBe(2);
  });

  it('returns the finished work of an expired batch and marks the rest BATCH_EXPIRED', async () => {
    const { provider } = open();
    fake.setItemBehaviour('[[expire]]', 'expire');
    const requests = [
      comparison('done', 2, 1),
      comparison('late-1', 1, 2, '[[expire]]'),
      comparison('late-2', 1, 2, '[[expire]]'),
    ];
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-expired' });
    const status = await provider.getBatchStatus(ref);
    expect(status).toMatchObject({
      state: 'expired',
      results_ready: true,
      counts: { succeeded: 1, expired: 2 },
    });
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['done']);
    expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
      ['late-1', 'BATCH_EXPIRED'],
      ['late-2', 'BATCH_EXPIRED'],
    ]);
  });

  it('collects a batch its status read found finished without asking for the status again', async () => {
    const { provider } = open({ limits: { maxRequestsPerBatch: 2 } });
    const requests = Array.from({ length: 3 }, (_, i) => comparison(`s-${i}`, i + 1, 2));
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-status-once' });
    const retrieves = () => fake.countRequests(/^GET \/v1\/batches\/[^/]+$/);
    expect(await provider.getBatchStatus(ref)).toMatchObject({ results_ready: true });
    expect(retrieves()).toBe(2); // one per part
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['s-0', 's-1', 's-2']);
    // The files named by that read are read; no part's status is read again.
    expect(retrieves()).toBe(2);
    expect(fake.countRequests(/^GET \/v1\/files\/[^/]+\/content$/)).toBe(2);

    // The same ref as stored and read back (another object, as in a later job run): its status is read anew.
    const stored = JSON.parse(JSON.stringify(ref)) as ProviderBatchRef;
    const again = await provider.collectBatchResults(stored);
    expect(again.responses).toHaveLength(3);
    expect(retrieves()).toBe(4);
  });

  it('reads the status again for a collect after a read that found the batch still running', async () => {
    const { provider } = open();
    fake.pollsUntilEnded = 2;
    const ref = await provider.submitBatch([comparison('r-1', 1, 2)], {}, { batchKey: 'b-running' });
    const retrieves = () => fake.countRequests(/^GET \/v1\/batches\/[^/]+$/);
    expect((await provider.getBatchStatus(ref)).results_ready).toBe(false);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-1']);
    expect(retrieves()).toBe(2);
  });

  it('fails every item of a batch that failed validation, with the reason from errors.data', async () => {
    const { provider } = open();
    fake.failNextBatchValidation('Model mismatch across requests');
    const requests = [comparison('c-1', 1, 2), comparison('c-2', 2, 1)];
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-failed' });
    expect(await provider.getBatchStatus(ref)).toMatchObject({ state: 'failed', results_ready: true });
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses).toEqual([]);
    expect(outcome.errors.map((e) => e.error.code)).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST']);
    expect(outcome.errors[0].error.message).toContain('Model mismatch across requests');
  });

  it('retries a 429 on the file upload and uploads once', async () => {
    const { provider } = open();
    fake.failNext(429, 1, { 'retry-after': '0' }, /^POST \/v1\/files$/);
    const ref = await provider.submitBatch([comparison('c-1', 1, 2)], {}, { batchKey: 'b-429' });
    expect(ref.parts).toHaveLength(1);
    expect(fake.countRequests(/^POST \/v1\/files$/)).toBe(2);
    expect(fake.createdBatchCount()).toBe(1);
  });

  it('walks validating → in_progress → completed while polling', async () => {
    const { provider } = open();
    fake.pollsUntilEnded = 3;
    const ref = await provider.submitBatch([comparison('c-1', 1, 2)], {}, { batchKey: 'b-poll' });
    expect((await provider.getBatchStatus(ref)).parts[0].raw_status).toBe('in_progress');
    expect((await provider.getBatchStatus(ref)).results_ready).toBe(false);
    expect((await provider.getBatchStatus(ref)).parts[0].raw_status).toBe('completed');
  });

  it('submits one provider batch per part, persisting the ref after each', async () => {
    const { provider } = open({ limits: { maxRequestsPerBatch: 2 } });
    const requests = Array.from({ length: 5 }, (_, i) => comparison(`part-${i}`, i, 2));
    const persisted: ProviderBatchRef[] = [];
    const ref = await provider.submitBatch(
      requests,
      {},
      {
        batchKey: 'b-parts',
        onPartSubmitted: async (partial) => void persisted.push(partial),
      },
    );
    expect(persisted.map((p) => p.parts.length)).toEqual([1, 2, 3]);
    expect(fake.submittedBatches().map((b) => b.lines.length)).toEqual([2, 2, 1]);
    expect(ref.parts.map((p) => p.state?.input_file_id)).toEqual(
      fake.requestLog
        .filter((r) => r.path === '/v1/batches')
        .map((r) => JSON.parse(r.body.toString()).input_file_id),
    );
  });

  it('collects a results file sent in 61-byte pieces line by line, handing results over in chunks', async () => {
    const { provider } = open();
    fake.downloadChunkBytes = 61;
    fake.setItemBehaviour('[[broken]]', 'error');
    const requests = [
      ...Array.from({ length: 6 }, (_, i) => comparison(`s-${i}`, i, 3)),
      comparison('broken', 1, 2, '[[broken]]'),
    ];
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-stream' });
    const chunks: Array<{ responses: string[]; errors: string[] }> = [];
    await provider.collectBatchResultsInChunks(
      ref,
      async (chunk) =>
        void chunks.push({
          responses: chunk.responses.map((r) => r.comparison_id),
          errors: chunk.errors.map((e) => e.comparison_id),
        }),
      { chunkSize: 3 },
    );
    expect(chunks.map((c) => c.responses.length + c.errors.length)).toEqual([3, 3, 1]);
    const ids = chunks.flatMap((c) => [...c.responses, ...c.errors]);
    expect([...ids].sort()).toEqual(requests.map((r) => r.comparison_id).sort());
    expect(chunks.flatMap((c) => c.errors)).toEqual(['broken']);
  });

  it("splits a batch at the part's byte limit; every uploaded file stays within it", async () => {
    const requests = Array.from({ length: 7 }, (_, i) => comparison(`big-${i}`, i, 3, 'x'.repeat(2_000)));
    const { provider } = open({ limits: { maxBytesPerBatch: 7_000 } });
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-bytes' });
    const sizes = fake.uploadedFileBytes();
    expect(ref.parts.length).toBeGreaterThan(1);
    expect(sizes).toHaveLength(ref.parts.length);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(7_000);
    expect(fake.submittedBatches().flatMap((b) => b.lines)).toHaveLength(7);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
  });
});
