// The API's own cost: batch ingest rate for a 10,000-comparison body, and the individual path's added latency over
// calling the Mock provider directly. The API and the worker run as the built apps (bench/support/built-apps.ts).
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ComparisonRequest } from '#contracts';
import {
  CircuitBreakerRegistry,
  MockProvider,
  ProviderCallCounter,
  ResilientCaller,
  RetryPolicy,
  loadProvidersConfig,
  withHiddenQuality,
} from '#llm-providers';
import type { Benchmark, BenchRow } from './bench.types.js';
import { compileApps, freePort, startApp, stopApp } from './support/built-apps.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'bench-key-0123456789abcdef';
const N = 10_000;
const INGEST_RUNS = 3;
const LATENCY_WARMUP = 20;
const LATENCY_SAMPLES = 300;
const ESSAY = 'The essay develops its argument with evidence and counterpoints. '.repeat(8);

const comparisons = (tag: string): ComparisonRequest[] =>
  Array.from({ length: N }, (_, i) => ({
    comparison_id: `${tag}-${i}`,
    user_prompt: 'Compare the two essays on argument quality.',
    essay_a: withHiddenQuality(ESSAY, ((i * 37) % 100) / 100),
    essay_b: withHiddenQuality(ESSAY, ((i * 61 + 13) % 100) / 100),
    metadata: { assessment_id: 'bench', pair_index: i },
  }));

async function waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not healthy after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function directMock() {
  const config = loadProvidersConfig({ MOCK_LATENCY_MS: '0' });
  const counter = new ProviderCallCounter();
  const caller = new ResilientCaller(
    new RetryPolicy(config.retry),
    new CircuitBreakerRegistry(config.breaker),
    counter,
  );
  return new MockProvider({ config, caller, counter });
}

const benchmark: Benchmark = {
  name: 'api',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    compileApps('api', ['api', 'batch-worker']);

    const prefix = `bench-api-${randomUUID().slice(0, 8)}`;
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const shared = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      LLM_DEFAULT_PROVIDER: 'mock',
      MOCK_LATENCY_MS: '0',
      METRICS_SAMPLE_MS: '60000',
    };
    const base = `http://127.0.0.1:${apiPort}`;
    const headers = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' };
    const rows: BenchRow[] = [];
    const row = (c: string, metric: string, value: number, unit: string, ratio?: BenchRow['ratio']) =>
      rows.push({ benchmark: 'api', case: c, metric, value, unit, ratio });

    const api = startApp('api', {
      ...shared,
      API_PORT: String(apiPort),
      API_KEYS: API_KEY,
      API_BODY_LIMIT: '50mb',
      MAX_COMPARISONS_PER_BATCH: String(N),
      PREFER_WAIT_POLL_MS: '10',
    });
    let worker: ChildProcess | undefined;
    try {
      await waitHealthy(`${base}/health/live`);

      // 1. Ingest: POST /comparison/batch with 10,000 comparisons → 202 (validate, snapshot, store, enqueue).
      const ingestMs: number[] = [];
      let bodyBytes = 0;
      for (let run = 0; run < INGEST_RUNS; run += 1) {
        const body = JSON.stringify({
          correlation_id: `bench-ingest-${run}`,
          comparisons: comparisons(`r${run}`),
        });
        bodyBytes = Buffer.byteLength(body);
        const started = performance.now();
        const res = await fetch(`${base}/api/v1/comparison/batch`, { method: 'POST', headers, body });
        const elapsed = performance.now() - started;
        if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        ingestMs.push(elapsed);
      }
      const ingestMedianMs = median(ingestMs);
      row('batch ingest, 10,000 comparisons', 'body size', bodyBytes / 1_048_576, 'MiB');
      row('batch ingest, 10,000 comparisons', `time to 202 (median of ${INGEST_RUNS})`, ingestMedianMs, 'ms');
      row('batch ingest, 10,000 comparisons', 'ingest rate', N / (ingestMedianMs / 1000), 'comparisons/s');

      // 2. Individual path: POST /comparison with Prefer: wait → 200, against the Mock called in-process.
      worker = startApp('batch-worker', {
        ...shared,
        WORKER_PORT: String(workerPort),
        KAFKA_TOPIC_PREFIX: 'huleedu',
      });
      await waitHealthy(`http://127.0.0.1:${workerPort}/health/live`);
      const single = (i: number) =>
        JSON.stringify({
          user_prompt: 'Compare the two essays on argument quality.',
          essay_a: withHiddenQuality(ESSAY, 0.8),
          essay_b: withHiddenQuality(ESSAY, 0.2),
          comparison_id: `lat-${i}`,
          priority: 10,
        });
      const viaApi: number[] = [];
      for (let i = 0; i < LATENCY_WARMUP + LATENCY_SAMPLES; i += 1) {
        const started = performance.now();
        const res = await fetch(`${base}/api/v1/comparison`, {
          method: 'POST',
          headers: { ...headers, Prefer: 'wait=30' },
          body: single(i),
        });
        const elapsed = performance.now() - started;
        if (res.status !== 200) throw new Error(`individual answered ${res.status}: ${await res.text()}`);
        if (i >= LATENCY_WARMUP) viaApi.push(elapsed);
      }
      const mock = directMock();
      const direct: number[] = [];
      for (let i = 0; i < LATENCY_WARMUP + LATENCY_SAMPLES; i += 1) {
        const request = JSON.parse(single(i)) as ComparisonRequest;
        const started = performance.now();
        await mock.generateComparison(request, { provider_override: 'mock' });
        if (i >= LATENCY_WARMUP) direct.push(performance.now() - started);
      }
      viaApi.sort((a, b) => a - b);
      direct.sort((a, b) => a - b);
      for (const p of [50, 99]) {
        const added = percentile(viaApi, p) - percentile(direct, p);
        row('individual via API (Prefer: wait, poll 10 ms)', `p${p} latency`, percentile(viaApi, p), 'ms');
        row('Mock generateComparison in-process', `p${p} latency`, percentile(direct, p), 'ms');
        row('individual path', `p${p} added latency`, added, 'ms');
      }
    } finally {
      if (worker) await stopApp(worker);
      await stopApp(api);
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await redis.quit();
    }
    return rows;
  },
};

export default benchmark;
