import { AnthropicFakeServer } from '../../testing/anthropic-fake-server.js';
import { runProviderContractSuite } from '../../testing/contract-suite.js';
import {
  ANTHROPIC_ON_FAKE,
  fakeComparison,
  type FakeProviderOptions,
  type FakeProviderSetup,
  makeFakeHarness,
  setUpOnFake,
} from '../../testing/fake-provider-harness.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import type { ProviderError } from '../core/provider-error.js';
import { AnthropicProvider } from './anthropic.provider.js';

type Setup = FakeProviderSetup<AnthropicProvider>;
const setUp = (fake: AnthropicFakeServer, options?: FakeProviderOptions): Setup =>
  setUpOnFake(ANTHROPIC_ON_FAKE, fake, options);

runProviderContractSuite('anthropic', (options) => makeFakeHarness(ANTHROPIC_ON_FAKE, options));

const comparison = fakeComparison;

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: ProviderError) => err,
  );
}

describe('AnthropicProvider against the Anthropic fake', () => {
  let fake: AnthropicFakeServer;
  let setup: Setup | undefined;
  const open = (options?: Parameters<typeof setUp>[1]) => (setup = setUp(fake, options));

  beforeEach(async () => {
    fake = new AnthropicFakeServer();
    await fake.start();
  });

  afterEach(async () => {
    setup?.test.close();
    setup = undefined;
    await fake.stop();
  });

  it('reports a tool call cut off at max_tokens as OUTPUT_TRUNCATED, never as an invalid answer', async () => {
    const { provider } = open();
    const tight = { max_tokens_override: 8 };
    await expect(provider.generateComparison(comparison('t-1', 2, 7), tight)).rejects.toMatchObject({
      code: 'OUTPUT_TRUNCATED',
    });
    const outcome = await provider.generateBatchComparison([comparison('t-2', 2, 7)], tight);
    expect(outcome.errors.map((e) => e.error.code)).toEqual(['OUTPUT_TRUNCATED']);
    // Claude on SDK 1.x takes no temperature: none is sent, and the resolved config records that.
    expect(fake.messageBodies()[0]).not.toHaveProperty('temperature');
  });

  it('sends the forced tool, a 5-minute cache breakpoint on the shared block, the version and Bearer key', async () => {
    const { provider } = open();
    const response = await provider.generateComparison(comparison('c-1', 2, 7), {});

    expect(response.answer.winner).toBe('Essay B');
    const [sent] = fake.requestLog;
    expect(sent.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(sent.headers['anthropic-version']).toBeTruthy();
    const [body] = fake.messageBodies();
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'comparison_result' });
    expect(body.tools).toEqual([expect.objectContaining({ name: 'comparison_result' })]);
    const content = (body.messages as Array<{ content: Array<Record<string, unknown>> }>)[0].content;
    expect(content[0]).toMatchObject({ cache_control: { type: 'ephemeral' } });
    expect(content[0].text).toContain('Assess the argument');
    expect(content[1].cache_control).toBeUndefined();
    expect(content[1].text).toContain('<essay_a>');
  });

  it('reports cache writes, then cache reads of the shared block', async () => {
    const { provider } = open();
    const first = await provider.generateComparison(comparison('c-1', 1, 2), {});
    const second = await provider.generateComparison(comparison('c-2', 1, 2), {});
    expect(first.usage.cache_write_tokens).toBeGreaterThan(0);
    expect(first.usage.cache_read_tokens).toBe(0);
    expect(second.usage.cache_read_tokens).toBe(first.usage.cache_write_tokens);
    expect(second.usage.prompt_tokens).toBeGreaterThan(second.usage.cache_read_tokens!);
    expect(second.cost.cost_usd).toBeLessThan(first.cost.cost_usd!);
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    const { provider, test } = open();
    fake.failNext(429, 1, { 'retry-after': '2' });
    const response = await provider.generateComparison(comparison('c-1', 3, 1), {});
    expect(response.answer.winner).toBe('Essay A');
    expect(fake.countRequests(/^POST \/v1\/messages$/)).toBe(2);
    expect(test.sleeps[0]).toBeGreaterThanOrEqual(2_000);
    expect(test.counter.count('anthropic', 'comparison')).toBe(2);
  });

  it('retries 500 api_error and 529 overloaded_error, then succeeds', async () => {
    const { provider } = open();
    fake.failNext(500, 1);
    fake.failNext(529, 1);
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).resolves.toBeDefined();
    expect(fake.countRequests(/^POST \/v1\/messages$/)).toBe(3);
  });

  it('gives up after the configured attempts on persistent 500s', async () => {
    const { provider, test } = open();
    fake.failNext(500, 10);
    const error = await rejection(provider.generateComparison(comparison('c-1', 1, 2), {}));
    expect(error.code).toBe('EXTERNAL_SERVICE_ERROR');
    expect(fake.countRequests(/^POST \/v1\/messages$/)).toBe(test.config.retry.attempts);
  });

  it('reports a wrong key as AUTHENTICATION_ERROR without retrying', async () => {
    const { provider } = open({ apiKey: 'sk-ant-wrong' });
    const error = await rejection(provider.generateComparison(comparison('c-1', 1, 2), {}));
    expect(error.code).toBe('AUTHENTICATION_ERROR');
    expect(error.retryable).toBe(false);
    expect(fake.requestLog).toHaveLength(1);
  });

  it('reports a malformed tool answer of a single call as INVALID_RESPONSE', async () => {
    const { provider } = open();
    fake.setItemBehaviour('[[bad]]', 'malformed');
    const error = await rejection(provider.generateComparison(comparison('c-1', 1, 2, '[[bad]]'), {}));
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('sends batch lines with valid custom ids and a 1-hour cache breakpoint on the shared block', async () => {
    const { provider } = open();
    const requests = [comparison('assessment 7/pair:1', 1, 2), comparison('assessment 7/pair:2', 2, 1)];
    const outcome = await provider.generateBatchComparison(requests, {});

    expect(outcome.responses.map((r) => r.answer.winner)).toEqual(['Essay B', 'Essay A']);
    const [batch] = fake.submittedBatches();
    expect(batch.id).toMatch(/^msgbatch_/);
    for (const line of batch.requests) {
      expect(line.custom_id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      const params = line.params as {
        tool_choice: unknown;
        messages: Array<{ content: Array<Record<string, unknown>> }>;
      };
      expect(params.tool_choice).toEqual({ type: 'tool', name: 'comparison_result' });
      expect(params.messages[0].content[0].cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    }
    // The create body goes out as a JSON document with its length (sent from a file, not built as one string).
    const [create] = fake.requestLog.filter((r) => r.method === 'POST' && r.path === '/v1/messages/batches');
    expect(create.headers['content-type']).toBe('application/json');
    expect(Number(create.headers['content-length'])).toBe(create.body.length);
    expect(create.headers['x-api-key'] ?? create.headers.authorization).toBeTruthy();
    expect(create.headers['anthropic-version']).toBeTruthy();
    expect((JSON.parse(create.body.toString('utf8')) as { requests: unknown[] }).requests).toHaveLength(2);
    for (const response of outcome.responses) {
      expect(response.cost.cost_usd).toBeCloseTo(response.cost.individual_cost_usd! / 2, 8);
    }
  });

  it('returns finished items of a batch with expired, errored and malformed ones as typed item errors', async () => {
    const { provider } = open();
    fake.setItemBehaviour('[[expire]]', 'expire');
    fake.setItemBehaviour('[[error]]', 'error');
    fake.setItemBehaviour('[[bad]]', 'malformed');
    const requests = [
      comparison('ok-1', 5, 1),
      comparison('expired', 1, 2, '[[expire]]'),
      comparison('errored', 1, 2, '[[error]]'),
      comparison('malformed', 1, 2, '[[bad]]'),
      comparison('ok-2', 1, 5),
    ];
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-expire' });
    const status = await provider.getBatchStatus(ref);
    expect(status).toMatchObject({
      state: 'expired',
      results_ready: true,
      counts: { total: 5, succeeded: 3, failed: 1, expired: 1 },
    });
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => [r.comparison_id, r.answer.winner])).toEqual([
      ['ok-1', 'Essay A'],
      ['ok-2', 'Essay B'],
    ]);
    expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
      ['expired', 'BATCH_EXPIRED'],
      ['errored', 'INVALID_REQUEST'],
      ['malformed', 'INVALID_RESPONSE'],
    ]);
  });

  it('serves results out of order at an absolute results_url and still returns input order', async () => {
    const { provider } = open();
    const requests = Array.from({ length: 6 }, (_, i) => comparison(`order-${i}`, i, 3));
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-order' });
    await provider.getBatchStatus(ref);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));

    const resultsRequest = fake.requestLog.find((r) => r.path.endsWith('/results'))!;
    expect(resultsRequest.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    const served = await fetch(`${fake.url}${resultsRequest.path}`, {
      headers: { 'x-api-key': fake.apiKey, 'anthropic-version': '2023-06-01' },
    }).then((res) => res.text());
    const servedOrder = served
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).custom_id as string);
    const sentOrder = fake.submittedBatches()[0].requests.map((r) => r.custom_id);
    expect(servedOrder).not.toEqual(sentOrder);
    expect([...servedOrder].sort()).toEqual([...sentOrder].sort());
  });

  it('retries a 429 on batch creation and creates the batch once', async () => {
    const { provider } = open();
    fake.failNext(429, 1, { 'retry-after': '0' }, /^POST \/v1\/messages\/batches$/);
    const ref = await provider.submitBatch([comparison('c-1', 1, 2)], {}, { batchKey: 'b-429' });
    expect(ref.parts).toHaveLength(1);
    expect(fake.createdBatchCount()).toBe(1);
  });

  it('without a part lookup, creates again after a 5xx on batch creation, within the configured attempts', async () => {
    const { provider, test } = open();
    fake.failNext(500, 1, {}, /^POST \/v1\/messages\/batches$/);
    const ref = await provider.submitBatch([comparison('c-1', 1, 2)], {}, { batchKey: 'b-500' });
    expect(ref.parts).toHaveLength(1);
    expect(fake.createdBatchCount()).toBe(1);
    expect(test.counter.count('anthropic', 'batch.create')).toBe(2);

    fake.failNext(500, 10, {}, /^POST \/v1\/messages\/batches$/);
    const error = await rejection(
      provider.submitBatch([comparison('c-2', 1, 2)], {}, { batchKey: 'b-500s' }),
    );
    expect(error.code).toBe('EXTERNAL_SERVICE_ERROR');
    expect(test.counter.count('anthropic', 'batch.create')).toBe(2 + test.config.retry.attempts);
  });

  it('keeps polling while in progress and reports partial counts', async () => {
    const { provider } = open();
    fake.pollsUntilEnded = 3;
    const ref = await provider.submitBatch(
      [comparison('c-1', 1, 2), comparison('c-2', 2, 1)],
      {},
      { batchKey: 'b-poll' },
    );
    const first = await provider.getBatchStatus(ref);
    expect(first).toMatchObject({ state: 'in_progress', results_ready: false, counts: { processing: 2 } });
    await provider.getBatchStatus(ref);
    expect((await provider.getBatchStatus(ref)).state).toBe('ended');
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
    expect(fake.submittedBatches().map((b) => b.requests.length)).toEqual([2, 2, 1]);
    expect(ref.parts.map((p) => p.provider_batch_id)).toEqual(fake.submittedBatches().map((b) => b.id));
  });
});
