import type { ComparisonRequest } from '#contracts';
import { runProviderContractSuite } from '../../testing/contract-suite.js';
import { OPENROUTER_ON_FAKE, makeFakeHarness } from '../../testing/fake-provider-harness.js';
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

function comparison(id: string, qualityA: number, qualityB: number, marker = ''): ComparisonRequest {
  return {
    comparison_id: id,
    user_prompt: 'Assess the argument and the use of evidence.',
    essay_a: `Essay A of ${id} [[quality:${qualityA}]] ${marker}`,
    essay_b: `Essay B of ${id} [[quality:${qualityB}]]`,
  };
}

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

    it('returns finished work of an expired batch and BATCH_EXPIRED for the rest', async () => {
      const { provider } = makeProvider(fake);
      fake.batchOutcome = 'expired';
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'late' });
      expect(await provider.getBatchStatus(ref)).toMatchObject({ state: 'expired', counts: { expired: 3 } });
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0']);
      expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
        ['r-1', 'INVALID_REQUEST'],
        ['r-2', 'BATCH_EXPIRED'],
        ['r-3', 'BATCH_EXPIRED'],
        ['r-4', 'BATCH_EXPIRED'],
      ]);
    });

    it('cancels a running batch; unfinished items come back CANCELED', async () => {
      const { provider, counter } = makeProvider(fake);
      fake.pollsUntilEnded = 5;
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'stop' });
      await provider.cancelBatch(ref);
      expect(counter.count('openrouter', 'batch.cancel')).toBe(1);
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.errors.map((e) => e.error.code)).toEqual(Array(5).fill('CANCELED'));
    });
  });

  describe('without the batch API', () => {
    it('serves a model OpenRouter refuses to batch with capped individual calls, through submit/status/collect', async () => {
      const { provider, counter } = makeProvider(fake, { concurrency: 2 });
      fake.refuseBatchFor(MODEL);
      fake.chatLatencyMs = 20;
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'fallback' });
      expect(ref.parts[0].state).toMatchObject({ mode: 'individual' });
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
