import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AnthropicFakeServer,
  GoogleFakeServer,
  OpenAIFakeServer,
  createTestProviderDeps,
  makeContractRequests,
  type TestProviderDeps,
} from '../../testing/index.js';
import {
  ANTHROPIC_ON_FAKE,
  GOOGLE_ON_FAKE,
  OPENAI_ON_FAKE,
  setUpOnFake,
} from '../../testing/fake-provider-harness.js';
import { MockProvider } from '../mock/mock.provider.js';
import { planBatchParts } from './chunking.js';
import { resolveLlmConfig } from './config-resolver.js';
import type { PartAdmission } from './llm-provider.js';
import { enqueuedTokenBudgetOf, loadProvidersConfig } from './provider-config.js';
import { ProviderConfigError } from './provider-config-error.js';
import { ProviderError } from './provider-error.js';
import { estimateRequestTokens } from './token-estimate.js';

const LIMITS = { maxRequestsPerBatch: 1_000, maxBytesPerBatch: 10_000_000 };

describe('enqueued-token budget: estimate and planning (issue 9.5)', () => {
  const config = resolveLlmConfig({ provider_override: 'mock' }, loadProvidersConfig({}), Date.now());

  it('estimates input at 4 characters a token with a safety factor, plus the output allowance', () => {
    const [request] = makeContractRequests(1);
    const longer = { ...request, essay_a: request.essay_a + 'x'.repeat(4_000) };
    // 4,000 more characters are 1,000 tokens by chars/4, 1,250 with the 1.25 safety factor.
    expect(estimateRequestTokens(longer, config) - estimateRequestTokens(request, config)).toBe(1_250);
    const moreOutput = { ...config, max_tokens: config.max_tokens + 500 };
    expect(estimateRequestTokens(request, moreOutput) - estimateRequestTokens(request, config)).toBe(500);
  });

  it('splits parts so that none passes the budget, in order, with each part’s estimate', () => {
    const requests = makeContractRequests(7);
    const each = estimateRequestTokens(requests[0], config);
    const parts = planBatchParts(requests, LIMITS, () => 100, {
      maxTokensPerPart: each * 3 + 10,
      estimate: (r) => estimateRequestTokens(r, config),
      variable: 'MOCK_ENQUEUED_TOKEN_BUDGET',
    });
    expect(parts.map((p) => p.requests.length)).toEqual([3, 3, 1]);
    expect(parts.flatMap((p) => p.requests)).toEqual(requests);
    for (const part of parts) {
      const sum = part.requests.reduce((s, r) => s + estimateRequestTokens(r, config), 0);
      expect(part.estimated_tokens).toBe(sum);
      expect(sum).toBeLessThanOrEqual(each * 3 + 10);
    }
  });

  it('refuses a request that alone is over the budget, naming the setting', () => {
    const requests = makeContractRequests(2);
    const plan = () =>
      planBatchParts(requests, LIMITS, () => 100, {
        maxTokensPerPart: 10,
        estimate: () => 11,
        variable: 'OPENAI_ENQUEUED_TOKEN_BUDGET',
      });
    expect(plan).toThrow(ProviderError);
    expect(plan).toThrow(/OPENAI_ENQUEUED_TOKEN_BUDGET/);
  });
});

describe('enqueued-token budget: configuration', () => {
  it('reads a provider budget and per-model overrides', () => {
    const config = loadProvidersConfig({
      OPENAI_ENQUEUED_TOKEN_BUDGET: '2000000',
      OPENAI_ENQUEUED_TOKEN_BUDGET_MODELS: 'gpt-5.4-mini=40000000, gpt-5.4=5000000',
    });
    const openai = config.providers.openai;
    expect(enqueuedTokenBudgetOf(openai, 'gpt-5.4-mini')).toBe(40_000_000);
    expect(enqueuedTokenBudgetOf(openai, 'gpt-5.4')).toBe(5_000_000);
    expect(enqueuedTokenBudgetOf(openai, 'gpt-4.1')).toBe(2_000_000);
    expect(enqueuedTokenBudgetOf(config.providers.anthropic, 'claude-haiku-4-5')).toBeUndefined();
  });

  it.each([
    [{ OPENAI_ENQUEUED_TOKEN_BUDGET: 'lots' }, 'OPENAI_ENQUEUED_TOKEN_BUDGET'],
    [{ OPENAI_ENQUEUED_TOKEN_BUDGET: '500' }, 'OPENAI_ENQUEUED_TOKEN_BUDGET'],
    [{ GEMINI_ENQUEUED_TOKEN_BUDGET_MODELS: 'gemini-3.1-flash-lite' }, 'GEMINI_ENQUEUED_TOKEN_BUDGET_MODELS'],
    [
      { ANTHROPIC_ENQUEUED_TOKEN_BUDGET_MODELS: 'claude-haiku-4-5=1.5' },
      'ANTHROPIC_ENQUEUED_TOKEN_BUDGET_MODELS',
    ],
  ])('stops start-up on %j, naming %s', (env, variable) => {
    expect(() => loadProvidersConfig(env)).toThrow(ProviderConfigError);
    expect(() => loadProvidersConfig(env)).toThrow(variable);
  });
});

describe('enqueued-token budget: admission during submission', () => {
  let test: TestProviderDeps;
  afterEach(() => test.close());

  it('stops at the first part not admitted and goes on from the stored ref later', async () => {
    let now = 1_000_000;
    const requests = makeContractRequests(6, 'quota');
    test = createTestProviderDeps({ env: { MOCK_LATENCY_MS: '1000' }, clock: () => now });
    const config = resolveLlmConfig({ provider_override: 'mock' }, test.config, now);
    const estimates = requests.map((r) => estimateRequestTokens(r, config));
    const budget = Math.max(...estimates) * 2;
    test.config.providers.mock.enqueuedTokenBudget = { default: budget, models: {} };
    const provider = new MockProvider(test.deps);

    const offered: PartAdmission[] = [];
    const onlyFirst = (part: PartAdmission) => {
      offered.push(part);
      return Promise.resolve(part.part_index === 0);
    };
    const first = await provider.submitBatch(requests, {}, { batchKey: 'quota', admitPart: onlyFirst });
    expect(first.part_count).toBe(3);
    expect(first.parts.map((p) => p.part_index)).toEqual([0]);
    expect(first.parts[0].estimated_tokens).toBe(estimates[0] + estimates[1]);
    expect(offered.map((p) => [p.part_index, p.budget])).toEqual([
      [0, budget],
      [1, budget],
    ]);
    expect((await provider.getBatchStatus(first)).results_ready).toBe(false);

    now += 5_000;
    const rest = await provider.submitBatch(
      requests,
      {},
      {
        batchKey: 'quota',
        resumeFrom: first,
        admitPart: () => Promise.resolve(true),
      },
    );
    expect(rest.parts.map((p) => p.part_index)).toEqual([0, 1, 2]);
    expect(rest.parts[0].provider_batch_id).toBe(first.parts[0].provider_batch_id);
  });
});

describe('quota refusals as the providers answer them', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('OpenAI: a batch over the enqueued-token limit fails validation, reported as QUOTA_EXCEEDED', async () => {
    const fake = new OpenAIFakeServer();
    await fake.start();
    fake.enqueuedTokenLimit = 100;
    const { provider, test } = setUpOnFake(OPENAI_ON_FAKE, fake);
    cleanups.push(async () => {
      test.close();
      await fake.stop();
    });
    const ref = await provider.submitBatch(makeContractRequests(2), {}, { batchKey: 'over' });
    const status = await provider.getBatchStatus(ref);
    expect(status.state).toBe('failed');
    expect(status.parts[0]).toMatchObject({
      part_index: 0,
      raw_status: 'failed',
      error_code: 'QUOTA_EXCEEDED',
    });
    const batch = fake.submittedBatches()[0];
    const retrieved = (await (
      await fetch(`${fake.url}/v1/batches/${batch.id}`, {
        headers: { authorization: `Bearer ${fake.apiKey}` },
      })
    ).json()) as { errors: { data: Array<{ code: string }> } };
    expect(retrieved.errors.data[0].code).toBe('token_limit_exceeded');
  });

  it('Anthropic: a create over the processing-queue limit is a 429 rate_limit_error (RATE_LIMIT)', async () => {
    const fake = new AnthropicFakeServer();
    await fake.start();
    fake.queueLimit = 3;
    fake.holdBatches();
    const { provider, test } = setUpOnFake(ANTHROPIC_ON_FAKE, fake, { env: { LLM_RETRY_ATTEMPTS: '1' } });
    cleanups.push(async () => {
      test.close();
      await fake.stop();
    });
    await provider.submitBatch(makeContractRequests(2, 'a'), {}, { batchKey: 'first' });
    const refused = await provider
      .submitBatch(makeContractRequests(2, 'b'), {}, { batchKey: 'second' })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({ code: 'RATE_LIMIT', status: 429 });
    expect(fake.createdBatchCount()).toBe(1);
  });

  it('Gemini: a create over the enqueued-token limit is a 429 RESOURCE_EXHAUSTED (RATE_LIMIT)', async () => {
    const fake = new GoogleFakeServer();
    await fake.start();
    fake.enqueuedTokenLimit = 10;
    const { provider, test } = setUpOnFake(GOOGLE_ON_FAKE, fake, { env: { LLM_RETRY_ATTEMPTS: '1' } });
    cleanups.push(async () => {
      test.close();
      await fake.stop();
    });
    const refused = await provider
      .submitBatch(makeContractRequests(2), {}, { batchKey: 'gem' })
      .catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'RATE_LIMIT', status: 429 });
    expect(fake.createdBatchCount()).toBe(0);
  });
});
