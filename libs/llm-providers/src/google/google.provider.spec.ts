import { runProviderContractSuite } from '../../testing/contract-suite.js';
import { fakeComparison, GOOGLE_ON_FAKE, makeFakeHarness } from '../../testing/fake-provider-harness.js';
import { GoogleFakeServer } from '../../testing/google-fake-server.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import { loadProvidersConfig, type ProviderSettings, withProviderSettings } from '../core/provider-config.js';
import type { ProviderDeps } from '../core/provider-deps.js';
import { ProviderError } from '../core/provider-error.js';
import { CircuitBreakerRegistry } from '../core/resilience/circuit-breaker-registry.js';
import { ProviderCallCounter } from '../core/resilience/provider-call-counter.js';
import { ResilientCaller } from '../core/resilience/resilient-caller.js';
import { RetryPolicy } from '../core/resilience/retry-policy.js';
import { GoogleProvider, type GoogleProviderOptions } from './google.provider.js';

const noSleep = async (): Promise<void> => undefined;

const comparison = fakeComparison;

function makeProvider(
  fake: GoogleFakeServer,
  changes: Partial<ProviderSettings> = {},
  options: GoogleProviderOptions = {},
  apiKey = fake.apiKey,
): { provider: GoogleProvider; counter: ProviderCallCounter } {
  const base = loadProvidersConfig({
    GEMINI_API_KEY: apiKey,
    GOOGLE_GEMINI_BASE_URL: fake.url,
    LLM_RETRY_ATTEMPTS: '3',
    LLM_RETRY_BASE_DELAY_MS: '0',
    LLM_BREAKER_FAILURES_TO_OPEN: '10',
  });
  const config = withProviderSettings(base, 'google', { pollIntervalMs: 0, ...changes });
  const counter = new ProviderCallCounter();
  const caller = new ResilientCaller(
    new RetryPolicy(config.retry, { sleep: noSleep, random: () => 0 }),
    new CircuitBreakerRegistry(config.breaker),
    counter,
  );
  const deps: ProviderDeps = { config, caller, counter, sleep: noSleep };
  return { provider: new GoogleProvider(deps, options), counter };
}

function jsonBodies(fake: GoogleFakeServer, pattern: RegExp): Array<Record<string, unknown>> {
  return fake.requestLog
    .filter((r) => pattern.test(`${r.method} ${r.path}`))
    .map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
}

runProviderContractSuite('google', (options) => makeFakeHarness(GOOGLE_ON_FAKE, options));

describe('GoogleProvider against the Gemini fake', () => {
  let fake: GoogleFakeServer;

  beforeEach(async () => {
    fake = new GoogleFakeServer();
    await fake.start();
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('reports an answer cut off by default thinking as OUTPUT_TRUNCATED; the catalog level fits', async () => {
    const { provider } = makeProvider(fake, { allowUnlistedModels: true });
    // An unlisted model gets no thinking setting: it thinks by default (up to 8,192) into a 1,024-token limit.
    const overrides = { model_override: 'gemini-2.6-flash-exp', max_tokens_override: 1024 };
    await expect(provider.generateComparison(comparison('t-1', 1, 2), overrides)).rejects.toMatchObject({
      code: 'OUTPUT_TRUNCATED',
    });
    const batch = await provider.generateBatchComparison([comparison('t-2', 1, 2)], overrides);
    expect(batch.errors.map((e) => e.error.code)).toEqual(['OUTPUT_TRUNCATED']);

    const fits = await provider.generateComparison(comparison('t-3', 1, 2), { max_tokens_override: 64 });
    expect(fits.answer.winner).toBe('Essay B');
    expect(fits.usage.reasoning_tokens).toBeGreaterThan(0);
  });

  it('sends a JSON-mode generateContent with schema and system instruction, and reads answer and usage', async () => {
    const { provider } = makeProvider(fake);
    const response = await provider.generateComparison(comparison('c-1', 2, 7), {
      temperature_override: 0.2,
    });

    expect(response.answer.winner).toBe('Essay B');
    expect(response.provider).toBe('google');
    expect(response.model).toBe('gemini-3.1-flash-lite');
    // Gemini's modelVersion differs from the requested alias: kept beside it, never as its identity.
    expect(response.served_model).toBe('gemini-3.1-flash-lite-001');
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.cost.cost_usd).toBeGreaterThan(0);
    expect(response.cost.cost_usd).toBe(response.cost.individual_cost_usd);

    const [sent] = fake.requestLog;
    expect(sent.path).toBe('/v1beta/models/gemini-3.1-flash-lite:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(fake.apiKey);
    const body = JSON.parse(sent.body.toString('utf8'));
    expect(body.generationConfig).toMatchObject({
      temperature: 0.2,
      // Thinking counts against maxOutputTokens: the answer's 4,096 plus the catalog's 2,048 allowance.
      maxOutputTokens: 4096 + 2048,
      thinkingConfig: { thinkingLevel: 'LOW' },
      responseMimeType: 'application/json',
      responseSchema: { type: 'OBJECT', required: ['winner', 'justification', 'confidence'] },
    });
    expect(body.systemInstruction.parts[0].text).toContain('assessor');
    expect(body.contents[0].parts[1].text).toContain('<essay_a>');
  });

  it('reports cached prompt tokens once the shared prefix repeats', async () => {
    const { provider } = makeProvider(fake);
    const first = await provider.generateComparison(comparison('c-1', 1, 2), {});
    const second = await provider.generateComparison(comparison('c-2', 1, 2), {});
    expect(first.usage.cache_read_tokens).toBeUndefined();
    expect(second.usage.cache_read_tokens).toBeGreaterThan(0);
    expect(second.cost.cost_usd).toBeLessThan(first.cost.cost_usd!);
  });

  it('retries a 429 (RESOURCE_EXHAUSTED) and counts both calls', async () => {
    const { provider, counter } = makeProvider(fake);
    fake.failNext(429, 1);
    const response = await provider.generateComparison(comparison('c-1', 5, 1), {});
    expect(response.answer.winner).toBe('Essay A');
    expect(counter.count('google', 'comparison')).toBe(2);
  });

  it('retries 500 and 503, then gives up with EXTERNAL_SERVICE_ERROR when they persist', async () => {
    const { provider, counter } = makeProvider(fake);
    fake.failNext(500, 1);
    fake.failNext(503, 1);
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).resolves.toBeDefined();
    expect(counter.count('google', 'comparison')).toBe(3);

    fake.failNext(500, 3);
    await expect(provider.generateComparison(comparison('c-2', 1, 2), {})).rejects.toMatchObject({
      code: 'EXTERNAL_SERVICE_ERROR',
      status: 500,
    });
  });

  it('fails a wrong key with AUTHENTICATION_ERROR after one attempt', async () => {
    const { provider, counter } = makeProvider(fake, {}, {}, 'wrong-key');
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).rejects.toMatchObject({
      code: 'AUTHENTICATION_ERROR',
      retryable: false,
    });
    expect(counter.count('google')).toBe(1);
  });

  it('turns a malformed answer into INVALID_RESPONSE, and a garbled body into a retried error', async () => {
    const { provider } = makeProvider(fake);
    fake.setItemBehaviour('MALFORMED', 'malformed');
    await expect(provider.generateComparison(comparison('c-1', 1, 2, 'MALFORMED'), {})).rejects.toMatchObject(
      {
        code: 'INVALID_RESPONSE',
      },
    );
    fake.garbledResponses = 1;
    await expect(provider.generateComparison(comparison('c-2', 1, 2), {})).resolves.toMatchObject({
      answer: { winner: 'Essay B' },
    });
  });

  it('is unconfigured without a key and throws PROVIDER_NOT_CONFIGURED', async () => {
    const { provider } = makeProvider(fake, {}, {}, '');
    expect(provider.isConfigured()).toBe(false);
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).rejects.toBeInstanceOf(
      ProviderError,
    );
    await expect(provider.generateComparison(comparison('c-1', 1, 2), {})).rejects.toMatchObject({
      code: 'PROVIDER_NOT_CONFIGURED',
    });
  });

  describe('batch mode', () => {
    const requests = [
      comparison('a-0', 1, 9),
      comparison('a-1', 9, 1, 'ITEM-ERROR'),
      comparison('a-2', 3, 4),
      comparison('a-3', 8, 2, 'ITEM-MALFORMED'),
      comparison('a-4', 6, 5),
    ];

    beforeEach(() => {
      fake.setItemBehaviour('ITEM-ERROR', 'error');
      fake.setItemBehaviour('ITEM-MALFORMED', 'malformed');
      fake.pollsUntilEnded = 2;
    });

    it('submits inline, polls until SUCCEEDED and returns scrambled results in input order', async () => {
      const { provider } = makeProvider(fake);
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'batch-1' });
      expect(ref.parts).toHaveLength(1);
      expect(ref.parts[0].state).toEqual({ source: 'inline' });

      const running = await provider.getBatchStatus(ref);
      expect(running).toMatchObject({ state: 'in_progress', results_ready: false });
      expect(running.counts.processing).toBe(5);
      const done = await provider.getBatchStatus(ref);
      expect(done.state).toBe('ended');
      expect(done.counts).toMatchObject({ total: 5, succeeded: 4, failed: 1, processing: 0 });

      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => [r.comparison_id, r.answer.winner])).toEqual([
        ['a-0', 'Essay B'],
        ['a-2', 'Essay B'],
        ['a-4', 'Essay A'],
      ]);
      expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
        ['a-1', 'INVALID_REQUEST'],
        ['a-3', 'INVALID_RESPONSE'],
      ]);
      expect(outcome.responses[0].cost.cost_usd).toBeCloseTo(
        outcome.responses[0].cost.individual_cost_usd! / 2,
        8,
      );

      const [created] = jsonBodies(fake, /:batchGenerateContent$/);
      const batch = created.batch as {
        displayName: string;
        inputConfig: { requests: { requests: unknown[] } };
      };
      expect(batch.displayName).toBe('batch-1-part-0');
      expect(batch.inputConfig.requests.requests[0]).toMatchObject({
        request: {
          systemInstruction: { parts: [{ text: expect.stringContaining('assessor') }] },
          generationConfig: { responseMimeType: 'application/json' },
        },
        metadata: { key: 'a-0_0' },
      });
    });

    it('uploads a JSONL file through the resumable protocol when over the inline threshold', async () => {
      const { provider, counter } = makeProvider(fake, {}, { inlineMaxBytes: 1_000 });
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'big' });
      expect(ref.parts[0].state).toMatchObject({
        source: 'file',
        input_file: expect.stringMatching(/^files\//),
      });
      expect(fake.uploadedFileCount()).toBe(1);
      const start = fake.requestLog.find((r) => r.headers['x-goog-upload-command'] === 'start');
      expect(start?.headers['x-goog-upload-protocol']).toBe('resumable');
      expect(fake.batchRequests()[0]).toMatchObject({
        fromFile: true,
        items: [{ key: 'a-0_0' }, {}, {}, {}, {}],
      });

      await provider.getBatchStatus(ref);
      await provider.getBatchStatus(ref);
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['a-0', 'a-2', 'a-4']);
      expect(outcome.errors.map((e) => e.comparison_id)).toEqual(['a-1', 'a-3']);
      expect(counter.count('google', 'files.upload')).toBe(1);
      expect(counter.count('google', 'files.download')).toBe(1);
    });

    it('splits over the configured limit, reports each part, and resumes without resubmitting', async () => {
      const limits = { maxRequestsPerBatch: 2, maxBytesPerBatch: 10_000_000 };
      const { provider } = makeProvider(fake, { limits });
      const seen: ProviderBatchRef[] = [];
      let calls = 0;
      await expect(
        provider.submitBatch(
          requests,
          {},
          {
            batchKey: 'split',
            onPartSubmitted: async (ref) => {
              seen.push(ref);
              calls += 1;
              if (calls === 2) throw new Error('worker crashed');
            },
          },
        ),
      ).rejects.toThrow('worker crashed');
      expect(fake.createdBatchCount()).toBe(2);

      const ref = await provider.submitBatch(requests, {}, { batchKey: 'split', resumeFrom: seen[1] });
      expect(fake.createdBatchCount()).toBe(3);
      expect(ref.parts.map((p) => p.comparison_ids)).toEqual([['a-0', 'a-1'], ['a-2', 'a-3'], ['a-4']]);

      fake.pollsUntilEnded = 1;
      const outcome = await provider.generateBatchComparison(requests, {
        model_override: 'gemini-3.1-flash-lite',
      });
      expect([...outcome.responses, ...outcome.errors].map((r) => r.comparison_id).sort()).toEqual(
        requests.map((r) => r.comparison_id),
      );
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['a-0', 'a-2', 'a-4']);
    });

    it('marks every item BATCH_EXPIRED when the job expires', async () => {
      const { provider } = makeProvider(fake);
      fake.batchOutcome = 'expired';
      fake.pollsUntilEnded = 1;
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'old' });
      const status = await provider.getBatchStatus(ref);
      expect(status).toMatchObject({ state: 'expired', results_ready: true, counts: { expired: 5 } });
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.responses).toEqual([]);
      expect(outcome.errors.map((e) => e.error.code)).toEqual(Array(5).fill('BATCH_EXPIRED'));
    });

    it('fails every item of a FAILED job with a retryable error', async () => {
      const { provider } = makeProvider(fake);
      fake.batchOutcome = 'failed';
      fake.pollsUntilEnded = 1;
      const ref = await provider.submitBatch(requests.slice(0, 2), {}, { batchKey: 'bad' });
      expect((await provider.getBatchStatus(ref)).state).toBe('failed');
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.errors.map((e) => [e.error.code, e.error.retryable])).toEqual([
        ['EXTERNAL_SERVICE_ERROR', true],
        ['EXTERNAL_SERVICE_ERROR', true],
      ]);
    });

    it('cancels a running job; its items come back CANCELED', async () => {
      const { provider, counter } = makeProvider(fake);
      const ref = await provider.submitBatch(requests, {}, { batchKey: 'stop' });
      await provider.cancelBatch(ref);
      expect(counter.count('google', 'batch.cancel')).toBe(1);
      const status = await provider.getBatchStatus(ref);
      expect(status).toMatchObject({ state: 'canceled', results_ready: true });
      const outcome = await provider.collectBatchResults(ref);
      expect(outcome.errors.map((e) => e.error.code)).toEqual(Array(5).fill('CANCELED'));
    });

    it('retries a 429 on batch creation without creating the batch twice', async () => {
      const { provider, counter } = makeProvider(fake);
      fake.failNext(429, 1, {}, /batchGenerateContent/);
      await provider.submitBatch(requests, {}, { batchKey: 'rl' });
      expect(fake.createdBatchCount()).toBe(1);
      expect(counter.count('google', 'batch.create')).toBe(2);
    });
  });
});
