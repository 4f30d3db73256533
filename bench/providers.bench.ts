// 10,000 comparisons on the mock provider (latency 0): one batch submission vs. the same set as individual calls.
import type { ComparisonRequest } from '#contracts';
import {
  CircuitBreakerRegistry,
  MockProvider,
  ProviderCallCounter,
  ResilientCaller,
  RetryPolicy,
  loadProvidersConfig,
  sumCosts,
  withHiddenQuality,
  type BatchComparisonOutcome,
} from '#llm-providers';
import type { Benchmark, BenchRow } from './bench.types.js';

const N = 10_000;
const ESSAY =
  'The essay develops its argument over several paragraphs with evidence and counterpoints. '.repeat(20);

function makeRequests(): ComparisonRequest[] {
  return Array.from({ length: N }, (_, i) => ({
    comparison_id: `bench-${i}`,
    user_prompt: 'Compare the two essays on argument quality, structure and use of evidence.',
    essay_a: withHiddenQuality(ESSAY, ((i * 37) % 100) / 100),
    essay_b: withHiddenQuality(ESSAY, ((i * 61 + 13) % 100) / 100),
  }));
}

function makeProvider(env: Record<string, string>) {
  const config = loadProvidersConfig({ MOCK_LATENCY_MS: '0', MOCK_CONCURRENCY: '64', ...env });
  const counter = new ProviderCallCounter();
  const breakers = new CircuitBreakerRegistry(config.breaker);
  const caller = new ResilientCaller(new RetryPolicy(config.retry), breakers, counter);
  return { provider: new MockProvider({ config, caller, counter }), counter, breakers };
}

const heapMb = () => process.memoryUsage().heapUsed / 1_048_576;
const check = (outcome: BatchComparisonOutcome) => {
  if (outcome.responses.length + outcome.errors.length !== N) throw new Error('lost items');
};

const benchmark: Benchmark = {
  name: 'providers',
  async run(): Promise<BenchRow[]> {
    const requests = makeRequests();
    const row = (
      c: string,
      metric: string,
      value: number,
      unit: string,
      ratio?: BenchRow['ratio'],
    ): BenchRow => ({
      benchmark: 'providers',
      case: c,
      metric,
      value,
      unit,
      ratio,
    });

    const batch = makeProvider({});
    const heapBefore = heapMb();
    const t0 = performance.now();
    const ref = await batch.provider.submitBatch(requests, {}, { batchKey: 'bench' });
    const t1 = performance.now();
    const status = await batch.provider.getBatchStatus(ref);
    if (!status.results_ready) throw new Error('mock batch with latency 0 should be ready');
    const outcome = await batch.provider.collectBatchResults(ref);
    const t2 = performance.now();
    const heapAfter = heapMb();
    check(outcome);
    const batchCost = sumCosts(outcome.responses.map((r) => r.cost));
    const refBytes = Buffer.byteLength(JSON.stringify(ref));
    batch.breakers.shutdown();

    const individual = makeProvider({ MOCK_BATCH_ENABLED: 'false' });
    const t3 = performance.now();
    const single = await individual.provider.generateBatchComparison(requests, {});
    const t4 = performance.now();
    check(single);
    const singleCost = sumCosts(single.responses.map((r) => r.cost));
    individual.breakers.shutdown();

    const batchTotal = t2 - t0;
    const batchCalls = batch.counter.count('mock');
    return [
      row('batch-10k', 'build+submit', t1 - t0, 'ms'),
      row('batch-10k', 'status+collect+parse', t2 - t1, 'ms'),
      row('batch-10k', 'total', batchTotal, 'ms'),
      row('batch-10k', 'provider calls', batchCalls, 'calls'),
      row('batch-10k', 'heap delta', heapAfter - heapBefore, 'MB'),
      row('batch-10k', 'stored ref size', refBytes / 1_048_576, 'MB'),
      row('batch-10k', 'cost', batchCost.cost_usd ?? NaN, 'USD'),
      row('individual-10k', 'total', t4 - t3, 'ms', {
        value: (t4 - t3) / batchTotal,
        against: 'batch-10k total',
      }),
      row('individual-10k', 'provider calls', individual.counter.count('mock'), 'calls', {
        value: individual.counter.count('mock') / batchCalls,
        against: 'batch-10k calls',
      }),
      row('individual-10k', 'cost', singleCost.cost_usd ?? NaN, 'USD', {
        value: (singleCost.cost_usd ?? NaN) / (batchCost.cost_usd ?? NaN),
        against: 'batch-10k cost',
      }),
    ];
  },
};

export default benchmark;
