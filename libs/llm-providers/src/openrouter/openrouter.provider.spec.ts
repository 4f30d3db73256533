import { runProviderContractSuite } from '../../testing/contract-suite.js';
import { fakeComparison, makeFakeHarness, OPENROUTER_ON_FAKE } from '../../testing/fake-provider-harness.js';
import { OpenRouterFakeServer } from '../../testing/openrouter-fake-server.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import { loadProvidersConfig, type ProviderSettings, withProviderSettings } from '../core/provider-config.js';
import { CircuitBreakerRegistry } from '../core/resilience/circuit-breaker-registry.js';
import { ProviderCallCounter } from '../core/resilience/provider-call-counter.js';
import { ResilientCaller } from '../core/resilience/resilient-caller.js';
import { RetryPolicy } from '../core/resilience/retry-policy.js';
import { OpenRouterProvider } from './openrouter.provider.js';

const noSleep = async (): Promise<void> => undefined;
const MODEL = 'anthropic/claude-sonnet-4.6';

const comparison = fakeComparison;

function makeProvider(
  fake: OpenRouterFakeServer,
  changes: Partial<ProviderSettings> = {},
  apiKey = fake.apiKey,
) {
  const base = loadProvidersConfig({
    OPENROUTER_API_KEY: apiKey,
    OPENROUTER_BASE_URL: `${fake.url}/api/v1`,
    LLM_RETRY_ATTEMPTS: '3',
    LLM_RETRY_BASE_DELAY_MS: '0',
    LLM_BREAKER_FAILURES_TO_OPEN: '10',
  });
  const config = withProviderSettings(base, 'openrouter', { pollIntervalMs: 0, ...changes });
  const counter = new ProviderCallCounter();
  const caller = new ResilientCaller(
    new RetryPolicy(config.retry, { sleep: noSleep, random: () => 0 }),
    new CircuitBreakerRegistry(config.breaker),
    counter,
  );
  return { provider: new OpenRouterProvider({ config, caller, counter, sleep: noSleep }), counter };
}

const requests = [
  comparison('r-0', 1, 9),
  comparison('r-1', 9, 1, 'ITEM-ERROR'),
  comparison('r-2', 3, 4),
  comparison('r-3', 8, 2, 'ITEM-MALFORMED'),
  comparison('r-4', 6, 5),
];

runProviderContractSuite('openrouter', (options) => makeFakeHarness(OPENROUTER_ON_FAKE, options));

describe('OpenRouterProvider against the OpenRouter fake', () => {
  let fake: OpenRouterFakeServer;

  beforeEach(async () => {
    fake = new OpenRouterFakeServer();
    await fake.start();
    fake.setItemBehaviour('ITEM-ERROR', 'error');
    fake.setItemBehaviour('ITEM-MALFORMED', 'malformed');
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('sends a JSON-object-mode chat completion with Bearer auth and a cache breakpoint', async () => {
    const { provider } = makeProvider(fake);
    const response = await provider.generateComparison(comparison('c-1', 2, 7), { max_tokens_override: 300 });
    expect(response).toMatchObject({ provider: 'openrouter', model: MODEL, answer: { winner: 'Essay B' } });
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens + response.usage.completion_tokens);

    const [sent] = fake.requestLog;
    expect(`${sent.method} ${sent.path}`).toBe('POST /api/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    const body = JSON.parse(sent.body.toString('utf8'));
    expect(body).toMatchObject({ model: MODEL, max_tokens: 300, response_format: { type: 'json_object' } });
    expect(body.messages[0]).toMatchObject({ role: 'system', content: expect.stringContaining('JSON') });
    expect(body.messages[1].content[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(body.messages[1].content[1].text).toContain('<essay_a>');
  });

  it('retries a 429 after its retry-after and 500s, counting every attempt', async () => {
    const { provider, counter } = makeProvider(fake);
    fake.failNext(429, 1, { 'retry-after': '0' });
    fake.failNext(500, 1);
    await expect(provider.generateComparison(comparison('c-1', 5, 1), {})).resolves.toMatchObject({
      answer: { winner: 'Essay A' },
    });
    expect(counter.count('openrouter', 'comparison')).toBe(3);
  });

  it('fails a wrong key with AUTHENTICATION_ERROR without retrying', async () => {
    const { provider, counter } = makeProvider(fake, {}, 'sk-or-wrong');
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).rejects.toMatchObject({
      code: 'AUTHENTICATION_ERROR',
      retryable: false,
    });
    expect(counter.count('openrouter')).toBe(1);
  });

  it('reports a malformed answer as INVALID_RESPONSE and retries a non-JSON 200', async () => {
    const { provider, counter } = makeProvider(fake);
    await expect(
      provider.generateComparison(comparison('c-1', 1, 2, 'ITEM-MALFORMED'), {}),
    ).rejects.toMatchObject({
      code: 'INVALID_RESPONSE',
    });
    fake.garbledResponses = 1;
    counter.reset();
    await expect(provider.generateComparison(comparison('c-2', 1, 2), {})).resolves.toBeDefined();
    expect(counter.count('openrouter', 'comparison')).toBe(2);
  });

  describe('batch API', () => {
    it('submits inline with endpoint and model before requests, and merges scrambled results by custom_id', async () => {
      const { provider } = makeProvider(fake);
      fake.pollsUntilEnded = 2;
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-1' });
      const raw = fake.requestLog.find((r) => r.path === '/api/v1/batches')!.body.toString('utf8');
      expect(Object.keys(JSON.parse(raw))).toEqual(['endpoint', 'model', 'requests']);
      expect(fake.batchRequests()[0]).toMatchObject({
        endpoint: '/v1/chat/completions',
        model: MODEL,
        requests: [
          { custom_id: 'r-0_0', body: { response_format: { type: 'json_object' } } },
          {},
          {},
          {},
          {},
        ],
      });

      expect(await provider.getBatchStatus(ref)).toMatchObject({
        state: 'in_progress',
        results_ready: false,
      });
      expect(await provider.getBatchStatus(ref)).toMatchObject({
        state: 'ended',
        results_ready: true,
        counts: { total: 5, succeeded: 4, failed: 1 },
      });
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => [r.comparison_id, r.answer.winner])).toEqual([
        ['r-0', 'Essay B'],
        ['r-2', 'Essay B'],
        ['r-4', 'Essay A'],
      ]);
      expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
        ['r-1', 'INVALID_REQUEST'],
        ['r-3', 'INVALID_RESPONSE'],
      ]);
      expect(outcome.responses[0].cost.cost_usd).toBeLessThan(outcome.responses[0].cost.individual_cost_usd!);
      // Finished items come from the paginated results endpoint, not the batch object.
      expect(fake.countRequests(/^GET \/api\/v1\/batches\/[^/]+\/results\?limit=1000$/)).toBe(1);
    });

    it("uses OpenRouter's reported usage.cost as the item cost, the table's full price beside it", async () => {
      const { provider } = makeProvider(fake);
      const answered = [requests[0], requests[2], requests[4]]; // a malformed answer is billed too
      const ref = await provider.submitBatch(answered, {}, { batchKey: 'billed' });
      await provider.getBatchStatus(ref);
      const outcome = await provider.collectBatchResults(ref);
      const billed = outcome.responses.reduce((sum, r) => sum + r.cost.cost_usd!, 0);
      expect(billed).toBeGreaterThan(0);
      expect(billed).toBeCloseTo(fake.billedUsd, 9);
      for (const { cost } of outcome.responses)
        expect(cost.individual_cost_usd).toBeGreaterThan(cost.cost_usd!);

      const single = await provider.generateComparison(comparison('one', 1, 9), {});
      expect(single.cost.cost_usd).toBe(single.cost.individual_cost_usd);
      expect(fake.billedUsd).toBeCloseTo(billed + single.cost.cost_usd!, 9);
    });

    it('reads the results of a large batch page by page (1,000 per page, next_cursor)', async () => {
      const { provider, counter } = makeProvider(fake);
      const many = Array.from({ length: 2_345 }, (_, i) => comparison(`p-${i}`, i % 7, 3));
      const ref = await provider.submitBatch(many, {}, { batchKey: 'pages' });
      await provider.getBatchStatus(ref);
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(many.map((r) => r.comparison_id));
      expect(counter.count('openrouter', 'batch.results')).toBe(3);
      const pages = fake.requestLog.filter((r) => r.path.includes('/results'));
      expect(pages.map((r) => new URL(r.path, fake.url).searchParams.has('cursor'))).toEqual([
        false,
        true,
        true,
      ]);
    }, 30_000);

    it('fails the part with the message of an undocumented 4xx, never falling back to individual calls', async () => {
      const { provider, counter } = makeProvider(fake);
      fake.refuseNextCreate(400, 'Model anthropic/claude-sonnet-4.6 has no batch endpoint right now');
      await expect(provider.submitBatch(requests, {}, { batchKey: 'refused' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('has no batch endpoint right now'),
      });
      expect(counter.count('openrouter', 'batch.create')).toBe(1);
      expect(counter.count('openrouter', 'comparison')).toBe(0);
      expect(fake.countRequests(/chat\/completions/)).toBe(0);
    });

    it('splits over 2 requests per batch, calls onPartSubmitted per part and resumes without resubmitting', async () => {
      const { provider } = makeProvider(fake, {
        limits: { maxRequestsPerBatch: 2, maxBytesPerBatch: 1_000_000 },
      });
      const refs: ProviderBatchRef[] = [];
      await expect(
        provider.submitBatch(
          requests,
          {},
          {
            batchKey: 'split',
            onPartSubmitted: async (ref) => {
              refs.push(ref);
              if (refs.length === 1) throw new Error('crash after part 0');
            },
          },
        ),
      ).rejects.toThrow('crash after part 0');
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'split', resumeFrom: refs[0] });
      expect(fake.createdBatchCount()).toBe(3);
      expect(ref.parts.map((p) => p.comparison_ids.length)).toEqual([2, 2, 1]);
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0', 'r-2', 'r-4']);
    });

    it('returns finished work of an expired batch (results null on the batch) and BATCH_EXPIRED for the rest', async () => {
      const { provider } = makeProvider(fake);
      fake.batchOutcome = 'expired';
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'late' });
      expect(await provider.getBatchStatus(ref)).toMatchObject({ state: 'expired', counts: { expired: 3 } });
      const batch = await fetch(`${fake.url}/api/v1/batches/${ref.parts[0].provider_batch_id}`, {
        headers: { authorization: `Bearer ${fake.apiKey}` },
      });
      expect(((await batch.json()) as { results: unknown }).results).toBeNull();
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0']);
      expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
        ['r-1', 'INVALID_REQUEST'],
        ['r-2', 'BATCH_EXPIRED'],
        ['r-3', 'BATCH_EXPIRED'],
        ['r-4', 'BATCH_EXPIRED'],
      ]);
    });

    it('cancels without an error or a cancel call (there is no cancel endpoint): the batch runs on', async () => {
      const { provider } = makeProvider(fake);
      fake.pollsUntilEnded = 5;
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'stop' });
      expect(provider.cancelsAtProvider).toBe(false);
      await expect(provider.cancelBatch(ref)).resolves.toBeUndefined();
      expect(fake.countRequests(/cancel/)).toBe(0);
      expect(fake.countRequests(/^DELETE /)).toBe(0);
      // What the real API would say to a cancel or an early delete:
      const id = ref.parts[0].provider_batch_id;
      const auth = { authorization: `Bearer ${fake.apiKey}` };
      const cancel = await fetch(`${fake.url}/api/v1/batches/${id}/cancel`, {
        method: 'POST',
        headers: auth,
      });
      expect(cancel.status).toBe(404);
      const early = await fetch(`${fake.url}/api/v1/batches/${id}`, { method: 'DELETE', headers: auth });
      expect(early.status).toBe(409);
    });

    it('reports a batch cancelled elsewhere as canceled: results null, unfinished items CANCELED', async () => {
      const { provider } = makeProvider(fake);
      fake.pollsUntilEnded = 5;
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'gone' });
      fake.cancelElsewhere(ref.parts[0].provider_batch_id);
      expect(await provider.getBatchStatus(ref)).toMatchObject({ state: 'canceled', results_ready: true });
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.errors.map((e) => e.error.code)).toEqual(Array(5).fill('CANCELED'));
      expect(fake.countRequests(/\/results/)).toBe(0);
    });

    it('reports a failed batch: its items get the batch error', async () => {
      const { provider } = makeProvider(fake);
      fake.batchOutcome = 'failed';
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'broken' });
      expect(await provider.getBatchStatus(ref)).toMatchObject({ state: 'failed', results_ready: true });
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses).toEqual([]);
      expect(outcome.errors).toHaveLength(5);
    });
  });

  describe('crash recovery (issue 9.7: batches carry no tag of ours)', () => {
    it('adopts the part a killed worker created, once its results prove it; waits while it runs', async () => {
      const { provider, counter } = makeProvider(fake);
      fake.holdBatches();
      const two = requests.slice(0, 2);
      let stored: ProviderBatchRef | undefined;
      await expect(
        provider.submitBatch(
          two,
          {},
          {
            batchKey: 'or-crash',
            onPartIntent: async (ref) => void (stored = ref),
            onPartSubmitted: async () => {
              throw new Error('worker killed before the batch id was stored');
            },
          },
        ),
      ).rejects.toThrow('worker killed');
      expect(stored!.pending_part).toMatchObject({
        request_count: 2,
        first_custom_id: 'r-0_0',
        last_custom_id: 'r-1_1',
      });
      const [orphan] = fake.batchIds();

      const waiting = await provider.submitBatch(two, {}, { batchKey: 'or-crash', resumeFrom: stored });
      expect(waiting.parts).toEqual([]);
      expect(fake.createdBatchCount()).toBe(1);

      fake.releaseBatches();
      const probe = {
        ...waiting,
        parts: [{ part_index: 0, provider_batch_id: orphan, comparison_ids: ['r-0', 'r-1'] }],
      };
      await provider.getBatchStatus(probe);
      const ref = await provider.submitBatch(two, {}, { batchKey: 'or-crash', resumeFrom: waiting });
      expect(ref.parts[0]).toMatchObject({ provider_batch_id: orphan, state: { recovered: true } });
      expect(fake.createdBatchCount()).toBe(1);
      expect(counter.count('openrouter', 'batch.list')).toBe(2);
      const listed = fake.requestLog.filter((r) => /^\/api\/v1\/batches\?/.test(r.path));
      expect(new URL(listed[0].path, fake.url).searchParams.get('created_after')).toMatch(/^\d+$/);
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0']);
      expect(outcome.errors.map((e) => e.comparison_id)).toEqual(['r-1']); // ITEM-ERROR
    });

    it('creates the part when the only candidate is someone else’s batch of the same size', async () => {
      const { provider } = makeProvider(fake);
      const foreign = await provider.submitBatch(
        [comparison('x-0', 1, 2), comparison('x-1', 2, 1)],
        {},
        { batchKey: 'x' },
      );
      await provider.getBatchStatus(foreign);
      let stored: ProviderBatchRef | undefined;
      await expect(
        provider.submitBatch(
          requests.slice(0, 2),
          {},
          {
            batchKey: 'or-never',
            onPartIntent: async (ref) => {
              stored = ref;
              throw new Error('worker killed before the create call');
            },
          },
        ),
      ).rejects.toThrow('worker killed');
      const ref = await provider.submitBatch(
        requests.slice(0, 2),
        {},
        { batchKey: 'or-never', resumeFrom: stored },
      );
      expect(fake.createdBatchCount()).toBe(2);
      expect(ref.parts[0].provider_batch_id).not.toBe(foreign.parts[0].provider_batch_id);
    });
  });

  describe('without the batch API', () => {
    it('serves parts with capped individual calls, through submit/status/collect, at the full price', async () => {
      const { provider, counter } = makeProvider(fake, { batchEnabled: false, concurrency: 2 });
      fake.chatLatencyMs = 20;
      fake.reportsCost = false; // priced from the table: the individual price, no batch discount
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'fallback' });
      expect(ref.parts[0].state).toMatchObject({ mode: 'individual' });
      expect(fake.countRequests(/\/batches/)).toBe(0);
      expect(counter.count('openrouter', 'comparison')).toBe(5);
      expect(fake.maxConcurrentChats()).toBe(2);

      const restored = JSON.parse(JSON.stringify(ref)) as ProviderBatchRef;
      expect(await provider.getBatchStatus(restored)).toMatchObject({
        state: 'ended',
        results_ready: true,
        counts: { succeeded: 3, failed: 2 },
      });
      const outcome = await provider.collectBatchResults(restored);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0', 'r-2', 'r-4']);
      expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
        ['r-1', 'INVALID_REQUEST'],
        ['r-3', 'INVALID_RESPONSE'],
      ]);
      expect(counter.count('openrouter', 'comparison')).toBe(5);
      for (const { cost } of outcome.responses) {
        expect(cost.cost_usd).toBeGreaterThan(0);
        expect(cost.cost_usd).toBe(cost.individual_cost_usd);
      }
    });

    it("uses the reported usage.cost of individually served items as is (OpenRouter's figure, no discount)", async () => {
      const { provider } = makeProvider(fake, { batchEnabled: false });
      const answered = [requests[0], requests[2], requests[4]]; // a malformed answer is billed too
      const ref = await provider.submitBatch(answered, {}, { batchKey: 'billed-off' });
      const outcome = await provider.collectBatchResults(JSON.parse(JSON.stringify(ref)) as ProviderBatchRef);
      const billed = outcome.responses.reduce((sum, r) => sum + r.cost.cost_usd!, 0);
      expect(billed).toBeCloseTo(fake.billedUsd, 9);
      for (const { cost } of outcome.responses) expect(cost.cost_usd).toBe(cost.individual_cost_usd);
    });

    it('with batchEnabled false, never calls the batch API and respects the concurrency cap', async () => {
      const { provider } = makeProvider(fake, { batchEnabled: false, concurrency: 3 });
      fake.chatLatencyMs = 20;
      expect(provider.supportsBatch()).toBe(false);
      const many = Array.from({ length: 9 }, (_, i) => comparison(`m-${i}`, i, 4));
      const outcome = await provider.generateBatchComparison(many, {});
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(many.map((r) => r.comparison_id));
      expect(fake.maxConcurrentChats()).toBe(3);

      const ref = await provider.submitBatch(requests, {}, { batchKey: 'off' });
      expect(ref.parts[0].provider_batch_id).toBe('individual-off-part-0');
      expect((await provider.collectBatchResults(ref)).responses).toHaveLength(3);
      expect(fake.countRequests(/\/batches/)).toBe(0);
    });
  });
});
