import type { ComparisonRequest } from '#contracts';
import { MockProvider } from '../src/mock/mock.provider.js';
import type { ContractHarness, ContractHarnessOptions } from './contract-suite.js';
import { createTestProviderDeps } from './test-provider-deps.js';

/** Simulated latency of harness batches; the harness clock moves 1 s per reading unless batches are held. */
const HARNESS_LATENCY_MS = 3_000;

/** The mock provider wired for the contract suite: a stepping clock stands in for the fake server's progress. */
export async function makeMockHarness(options: ContractHarnessOptions = {}): Promise<ContractHarness> {
  let now = Date.parse('2026-11-01T00:00:00Z');
  let holding = false;
  const clock = () => (holding ? now : (now += 1_000));
  const failMarkers: string[] = [];
  const failWhen = (request: ComparisonRequest) =>
    failMarkers.some((marker) => request.essay_a.includes(marker) || request.essay_b.includes(marker));

  const test = createTestProviderDeps({
    env: {
      MOCK_LATENCY_MS: String(HARNESS_LATENCY_MS),
      MOCK_PROVIDER_ENABLED: String(options.configured ?? true),
    },
    clock,
  });
  const mock = test.config.providers.mock;
  mock.limits = { ...mock.limits, ...options.limits };
  const provider = new MockProvider(test.deps, { failWhen });
  return {
    provider,
    fake: {
      createdBatchCount: () => test.counter.count('mock', 'batch.create'),
      setItemBehaviour: (match) => void failMarkers.push(match),
      holdBatches: () => {
        holding = true;
      },
      releaseBatches: () => {
        holding = false;
        now += HARNESS_LATENCY_MS;
      },
    },
    close: async () => test.close(),
  };
}
