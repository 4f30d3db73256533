import { afterEach, describe, expect, it } from '@jest/globals';
import { WINNERS, type ComparisonRequest, type LlmConfigOverrides } from '#contracts';
import type {
  BatchComparisonOutcome,
  BatchLimits,
  LlmProvider,
  ProviderBatchRef,
  ProviderBatchStatus,
} from '../src/core/llm-provider.js';
import { ProviderError } from '../src/core/provider-error.js';
import { ProviderRegistry } from '../src/core/provider-registry.js';
import { CircuitBreakerRegistry } from '../src/core/resilience/circuit-breaker-registry.js';
import { loadProvidersConfig } from '../src/core/provider-config.js';

/** Put in an essay, it makes that item fail once the harness called `fake.setItemBehaviour(marker, 'error')`. */
export const CONTRACT_FAIL_MARKER = '[[contract-fail-item]]';

/** What the suite may ask of the fake behind a provider. The first two are required; the rest sharpen tests. */
export interface ContractFakeControls {
  /** Provider-side batches created so far. */
  createdBatchCount(): number;
  /** Items whose request text contains `match` come back as per-item errors. */
  setItemBehaviour(match: string, behaviour: 'error'): void;
  /** Serve batch results in reverse request order (otherwise the suite only checks order, whatever the fake does). */
  reverseResults?(): void;
  /** New batches stay unfinished until releaseBatches() (lets the suite see progress and cancel a running batch). */
  holdBatches?(): void;
  releaseBatches?(): void;
}

export interface ContractHarnessOptions {
  /** Small limits force several provider batches, e.g. `{ maxRequestsPerBatch: 2 }`. */
  limits?: Partial<BatchLimits>;
  /** `false`: build the provider without credentials. Default true. */
  configured?: boolean;
}

/**
 * A provider under test with batch enabled, poll interval 0 and instant sleeps (see createTestProviderDeps),
 * talking to its fake.
 */
export interface ContractHarness {
  provider: LlmProvider;
  fake: ContractFakeControls;
  close(): Promise<void>;
}

export type MakeContractHarness = (options?: ContractHarnessOptions) => Promise<ContractHarness>;

const OVERRIDES: LlmConfigOverrides = {};
const MAX_POLLS = 50;

/** `n` comparisons with hidden qualities (fake judges and the mock read them) and unique ids. */
export function makeContractRequests(n: number, prefix = 'cmp'): ComparisonRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    comparison_id: `${prefix}-${i}:${'x'.repeat(i % 3)}`,
    user_prompt: 'Which essay argues its position more convincingly?',
    essay_a: `Essay ${i} A text.\n\n[[quality:${((i * 37) % 100) / 100}]]`,
    essay_b: `Essay ${i} B text.\n\n[[quality:${((i * 61 + 13) % 100) / 100}]]`,
  }));
}

/** Polls with a bound instead of sleeping: each poll is a real status call. */
export async function pollUntilReady(
  provider: LlmProvider,
  ref: ProviderBatchRef,
): Promise<ProviderBatchStatus[]> {
  const seen: ProviderBatchStatus[] = [];
  for (let i = 0; i < MAX_POLLS; i += 1) {
    const status = await provider.getBatchStatus(ref);
    seen.push(status);
    if (status.results_ready) return seen;
  }
  throw new Error(`batch not ready after ${MAX_POLLS} polls: ${JSON.stringify(seen.at(-1))}`);
}

function expectAccountedInOrder(outcome: BatchComparisonOutcome, requests: ComparisonRequest[]): void {
  const inputOrder = requests.map((r) => r.comparison_id);
  const responded = outcome.responses.map((r) => r.comparison_id);
  const failed = outcome.errors.map((e) => e.comparison_id);
  expect([...responded, ...failed].sort()).toEqual([...inputOrder].sort());
  expect(responded).toEqual(inputOrder.filter((id) => responded.includes(id)));
  expect(failed).toEqual(inputOrder.filter((id) => failed.includes(id)));
}

async function expectProviderError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).code).toBe(code);
}

/** The behaviour every LlmProvider must show, run once per provider against its fake (or the mock). */
export function runProviderContractSuite(name: string, makeHarness: MakeContractHarness): void {
  describe(`LlmProvider contract: ${name}`, () => {
    let harness: ContractHarness | undefined;
    const open = async (options?: ContractHarnessOptions): Promise<ContractHarness> => {
      harness = await makeHarness(options);
      return harness;
    };
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('answers a single comparison with a parsed, costed response', async () => {
      const { provider } = await open();
      const [request] = makeContractRequests(1, 'single');
      const response = await provider.generateComparison(request, OVERRIDES);
      expect(response.comparison_id).toBe(request.comparison_id);
      expect(response.provider).toBe(provider.name);
      expect(WINNERS).toContain(response.answer.winner);
      expect(response.answer.confidence).toBeGreaterThanOrEqual(1);
      expect(response.answer.confidence).toBeLessThanOrEqual(5);
      expect(response.answer.justification.length).toBeGreaterThan(0);
      expect(response.answer.justification.length).toBeLessThanOrEqual(500);
      expect(response.usage.total_tokens).toBe(
        response.usage.prompt_tokens + response.usage.completion_tokens,
      );
      expect(response.cost.cost_usd).toBeGreaterThanOrEqual(0);
      expect(response.cost.individual_cost_usd).toBe(response.cost.cost_usd);
    });

    it('accounts for every input of a batch exactly once, in input order, at batch price', async () => {
      const { provider } = await open();
      const requests = makeContractRequests(6, 'batch');
      const outcome = await provider.generateBatchComparison(requests, OVERRIDES);
      expectAccountedInOrder(outcome, requests);
      expect(outcome.errors).toEqual([]);
      for (const response of outcome.responses) {
        expect(response.cost.cost_usd).toBeLessThanOrEqual(response.cost.individual_cost_usd!);
      }
    });

    it('puts results the server returns out of order back in input order', async () => {
      const { provider, fake } = await open();
      fake.reverseResults?.();
      const requests = makeContractRequests(5, 'order');
      const outcome = await provider.generateBatchComparison(requests, OVERRIDES);
      expect(outcome.responses.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    });

    it('reports a failing item as that item’s error and keeps the others', async () => {
      const { provider, fake } = await open();
      fake.setItemBehaviour(CONTRACT_FAIL_MARKER, 'error');
      const requests = makeContractRequests(4, 'itemerr');
      requests[1] = { ...requests[1], essay_a: `${requests[1].essay_a} ${CONTRACT_FAIL_MARKER}` };
      const outcome = await provider.generateBatchComparison(requests, OVERRIDES);
      expectAccountedInOrder(outcome, requests);
      expect(outcome.errors.map((e) => e.comparison_id)).toEqual([requests[1].comparison_id]);
      expect(outcome.errors[0].error).toBeInstanceOf(ProviderError);
    });

    it('submits, reports progress, then collects', async () => {
      const { provider, fake } = await open();
      fake.holdBatches?.();
      const requests = makeContractRequests(3, 'lifecycle');
      const persisted: ProviderBatchRef[] = [];
      const ref = await provider.submitBatch(requests, OVERRIDES, {
        batchKey: 'contract-lifecycle',
        onPartSubmitted: async (partial) => void persisted.push(partial),
      });
      expect(ref.provider).toBe(provider.name);
      expect(ref.parts.flatMap((p) => p.comparison_ids)).toEqual(requests.map((r) => r.comparison_id));
      expect(persisted.at(-1)).toEqual(ref);
      expect(JSON.parse(JSON.stringify(ref))).toEqual(ref);
      if (fake.holdBatches) {
        const running = await provider.getBatchStatus(ref);
        expect(running.results_ready).toBe(false);
        expect(['validating', 'in_progress', 'finalizing']).toContain(running.state);
        await expectProviderError(provider.collectBatchResults(ref), 'CONFLICT');
        fake.releaseBatches?.();
      }
      const statuses = await pollUntilReady(provider, ref);
      const final = statuses.at(-1)!;
      expect(final.state).toBe('ended');
      expect(final.counts.total).toBe(3);
      expect(final.counts.succeeded).toBe(3);
      const outcome = await provider.collectBatchResults(ref);
      expectAccountedInOrder(outcome, requests);
      expect(outcome.responses).toHaveLength(3);
    });

    it('splits past the configured limits into several provider batches, merged in order', async () => {
      const { provider, fake } = await open({ limits: { maxRequestsPerBatch: 2 } });
      const before = fake.createdBatchCount();
      const requests = makeContractRequests(5, 'chunk');
      const outcome = await provider.generateBatchComparison(requests, OVERRIDES);
      expect(fake.createdBatchCount() - before).toBe(3);
      expectAccountedInOrder(outcome, requests);
      expect(outcome.responses).toHaveLength(5);
    });

    it('resumes an interrupted submission without resubmitting stored parts', async () => {
      const { provider, fake } = await open({ limits: { maxRequestsPerBatch: 2 } });
      const requests = makeContractRequests(5, 'resume');
      let stored: ProviderBatchRef | undefined;
      const crash = provider.submitBatch(requests, OVERRIDES, {
        batchKey: 'contract-resume',
        onPartSubmitted: async (partial) => {
          stored = partial;
          throw new Error('worker crashed after storing the first part');
        },
      });
      await expect(crash).rejects.toThrow('worker crashed');
      expect(stored?.parts).toHaveLength(1);
      const before = fake.createdBatchCount();
      const ref = await provider.submitBatch(requests, OVERRIDES, {
        batchKey: 'contract-resume',
        resumeFrom: stored,
      });
      expect(fake.createdBatchCount() - before).toBe(2);
      expect(ref.parts).toHaveLength(3);
      expect(ref.parts[0].provider_batch_id).toBe(stored!.parts[0].provider_batch_id);
      await pollUntilReady(provider, ref);
      const outcome = await provider.collectBatchResults(ref);
      expectAccountedInOrder(outcome, requests);
      expect(outcome.responses).toHaveLength(5);
    });

    it('cancels a batch and accounts for every item', async () => {
      const { provider, fake } = await open();
      fake.holdBatches?.();
      const requests = makeContractRequests(3, 'cancel');
      const ref = await provider.submitBatch(requests, OVERRIDES, { batchKey: 'contract-cancel' });
      await provider.cancelBatch(ref);
      fake.releaseBatches?.();
      const final = (await pollUntilReady(provider, ref)).at(-1)!;
      const outcome = await provider.collectBatchResults(ref);
      expectAccountedInOrder(outcome, requests);
      if (provider.cancelsAtProvider === false) {
        // No cancel at the provider (OpenRouter): the call succeeds and the batch runs to its end there; the
        // caller ends the batch on its own side.
        expect(final.state).toBe('ended');
        return;
      }
      if (fake.holdBatches) {
        expect(final.state).toBe('canceled');
        expect(outcome.responses).toEqual([]);
      }
      for (const { error } of outcome.errors) expect(error.code).toBe('CANCELED');
    });

    it('rejects duplicate comparison ids before calling the provider', async () => {
      const { provider, fake } = await open();
      const [request] = makeContractRequests(1, 'dup');
      const before = fake.createdBatchCount();
      await expectProviderError(
        provider.submitBatch([request, request], OVERRIDES, { batchKey: 'dup' }),
        'INVALID_REQUEST',
      );
      expect(fake.createdBatchCount()).toBe(before);
    });

    it('reports an unconfigured provider as unavailable instead of failing later', async () => {
      const { provider } = await open({ configured: false });
      expect(provider.isConfigured()).toBe(false);
      const [request] = makeContractRequests(1, 'unconfigured');
      await expectProviderError(provider.generateComparison(request, OVERRIDES), 'PROVIDER_NOT_CONFIGURED');
      await expectProviderError(
        provider.submitBatch([request], OVERRIDES, { batchKey: 'unconfigured' }),
        'PROVIDER_NOT_CONFIGURED',
      );
      const breakers = new CircuitBreakerRegistry(loadProvidersConfig({}).breaker);
      const registry = new ProviderRegistry([provider], breakers);
      expect(registry.availability()[provider.name].configured).toBe(false);
      expect(() => registry.get(provider.name)).toThrow(ProviderError);
      breakers.shutdown();
    });
  });
}
