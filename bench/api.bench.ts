// The API's own cost on the batch path: ingest rate (time to 202) for a 10,000-comparison body. The API runs as the
// built app (bench/support/built-apps.ts). The individual path is measured in individual.bench.ts.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ComparisonRequest } from '#contracts';
import { withHiddenQuality } from '#llm-providers';
import type { Benchmark, BenchRow } from './bench.types.js';
import { compileApps, freePort, startApp, stopApp } from './support/built-apps.js';
import { median, waitHealthy } from './support/http-bench.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'bench-key-0123456789abcdef';
const N = 10_000;
const INGEST_RUNS = 3;
const ESSAY = 'The essay develops its argument with evidence and counterpoints. '.repeat(8);

const comparisons = (tag: string): ComparisonRequest[] =>
  Array.from({ length: N }, (_, i) => ({
    comparison_id: `${tag}-${i}`,
    user_prompt: 'Compare the two essays on argument quality.',
    essay_a: withHiddenQuality(ESSAY, ((i * 37) % 100) / 100),
    essay_b: withHiddenQuality(ESSAY, ((i * 61 + 13) % 100) / 100),
    metadata: { assessment_id: 'bench', pair_index: i },
  }));

const benchmark: Benchmark = {
  name: 'api',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    compileApps('api', ['api']);

    const prefix = `bench-api-${randomUUID().slice(0, 8)}`;
    const apiPort = await freePort();
    const base = `http://127.0.0.1:${apiPort}`;
    const headers = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' };
    const rows: BenchRow[] = [];
    const row = (c: string, metric: string, value: number, unit: string, ratio?: BenchRow['ratio']) =>
      rows.push({ benchmark: 'api', case: c, metric, value, unit, ratio });

    const api = startApp('api', {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      LLM_DEFAULT_PROVIDER: 'mock',
      METRICS_SAMPLE_MS: '60000',
      API_PORT: String(apiPort),
      API_KEYS: API_KEY,
      API_BODY_LIMIT: '50mb',
      MAX_COMPARISONS_PER_BATCH: String(N),
    });
    try {
      await waitHealthy(`${base}/health/live`);

      // Ingest: POST /comparison/batch with 10,000 comparisons → 202 (validate, snapshot, store, enqueue).
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
    } finally {
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
