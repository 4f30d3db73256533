// One national-scale assessment end to end (issue 8): the built api and batch-worker as child processes, the Mock
// provider writing 1,500-character justifications, 10,000 and 100,000 comparisons (k = 10: 2,000 and 20,000
// essays of ~3,000 characters) uploaded in the essay-referencing form as a multi-part upload (parts ≤ 10 MB).
// Printed per size: ingest (upload create → seal answered), reading the batch + building the provider file,
// fan-out (the provider batch's end → the last event on Kafka, by the broker's record timestamps) and events/s,
// the worker's peak RSS (VmHWM of its process), Redis used_memory growth (a private redis-server, so nothing
// else is counted) and the bytes produced to Kafka (keys + values of the batch's records).
//
//   npm run bench -- scale                      both sizes
//   npm run bench -- scale --sizes=10000        a smaller set (any comma-separated sizes, multiples of 5)
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { topicNames } from '#contracts';
import { ensureTopics, parseBrokers } from '#infra';
import { withHiddenQuality } from '#llm-providers';
import { ThrowawayRedis } from '../test/support/throwaway-services.js';
import type { Benchmark, BenchRow } from './bench.types.js';
import { compileApps, freePort, stopApp, type BuiltApp } from './support/built-apps.js';
import { apiCall, launchLogged, memoryOf, usedMemory } from './support/process-figures.js';
import { waitHealthy } from './support/http-bench.js';

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const API_KEY = 'bench-scale-key-0123456789';
const K = 10;
const ESSAY_CHARS = 3_000;
const JUSTIFICATION_CHARS = 1_500;
/** How long the Mock's provider batch runs after submission; fan-out is timed from its end. */
const MOCK_LATENCY_MS = 3_000;
const POLL_MS = 250;
/** Upload parts stay under the API's 10 MB part limit with a margin. */
const PART_TARGET_BYTES = 8_000_000;
const DEFAULT_SIZES = [10_000, 100_000];

function sizesFromArgs(): number[] {
  const arg = process.argv.find((a) => a.startsWith('--sizes='));
  if (!arg) return DEFAULT_SIZES;
  const sizes = arg
    .slice('--sizes='.length)
    .split(',')
    .map((s) => Number(s.replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 10 || n % (K / 2) !== 0)) {
    throw new Error(`bench scale: --sizes takes comma-separated comparison counts, multiples of ${K / 2}`);
  }
  return sizes;
}

/** ~3,000 characters of prose per essay, distinct per essay, with the hidden quality the Mock judges by. */
function essayText(i: number, essays: number): string {
  const sentence =
    `Essay ${i} argues that homework builds independence, weighs the evidence for and against, and ` +
    'answers the strongest objection before it concludes. ';
  const body = sentence.repeat(Math.ceil(ESSAY_CHARS / sentence.length)).slice(0, ESSAY_CHARS - 20);
  return withHiddenQuality(body, (i % essays) / essays);
}

/** k = 10: comparison i pairs essay i mod n with the one 1–5 places after it; every essay is in 10 comparisons. */
function comparisonOf(i: number, essays: number) {
  const a = i % essays;
  const b = (a + 1 + Math.floor(i / essays)) % essays;
  return {
    comparison_id: `p-${i}`,
    essay_a_id: `e-${a}`,
    essay_b_id: `e-${b}`,
    metadata: { assessment_id: 'bench-scale', pair_index: i },
  };
}

/** Pages of items whose JSON stays under PART_TARGET_BYTES. */
function* pages<T>(count: number, item: (i: number) => T): Generator<T[]> {
  let page: T[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i += 1) {
    const value = item(i);
    const size = Buffer.byteLength(JSON.stringify(value)) + 1;
    if (bytes + size > PART_TARGET_BYTES && page.length > 0) {
      yield page;
      page = [];
      bytes = 0;
    }
    page.push(value);
    bytes += size;
  }
  if (page.length > 0) yield page;
}

const call = (method: string, url: string, body?: unknown) => apiCall(API_KEY, method, url, body);

/** Reads the batch's topic from the start: distinct event ids, record bytes, latest broker timestamp. */
async function startReader(topic: string) {
  const kafka = new Kafka({
    clientId: 'bench-scale',
    brokers: parseBrokers(KAFKA_BROKERS),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `bench-scale-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    maxBytes: 50 << 20,
  });
  const ids = new Set<string>();
  let bytes = 0;
  let records = 0;
  let lastTimestamp = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        records += 1;
        bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
        lastTimestamp = Math.max(lastTimestamp, Number(message.timestamp));
        const value = message.value?.toString('utf8') ?? '';
        const at = value.indexOf('"event_id":"');
        if (at >= 0) ids.add(value.slice(at + 12, value.indexOf('"', at + 12)));
      }
      if (waiter && ids.size >= waiter.count) waiter.resolve();
    },
  });
  return {
    figures: () => ({ distinct: ids.size, records, bytes, lastTimestamp }),
    waitFor: (count: number, timeoutMs: number) =>
      new Promise<void>((resolve, reject) => {
        if (ids.size >= count) return resolve();
        const timer = setTimeout(
          () => reject(new Error(`bench scale: ${ids.size} of ${count} events after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      }),
    stop: () => consumer.disconnect(),
  };
}

const launch = (app: BuiltApp, n: number, env: Record<string, string>) =>
  launchLogged('bench-scale', app, n, env);

interface Figures {
  comparisons: number;
  essays: number;
  uploadParts: number;
  uploadBytes: number;
  ingestMs: number;
  readMs: number;
  buildMs: number;
  providerParts: number;
  providerFileBytes: number;
  fanOutMs: number;
  sealToLastEventMs: number;
  events: number;
  workerPeakRss: number;
  apiPeakRss: number;
  redisGrowthPeak: number;
  redisGrowthEnd: number;
  kafkaBytes: number;
  kafkaRecords: number;
}

async function runSize(n: number): Promise<Figures> {
  const essays = (n * 2) / K;
  const run = randomUUID().slice(0, 8);
  const prefix = `bench-scale-${run}`;
  const topicPrefix = `benchscale${run}`;
  const topic = topicNames(topicPrefix).comparisonResult;
  const brokers = parseBrokers(KAFKA_BROKERS);
  const redisServer = new ThrowawayRedis(await freePort());
  await redisServer.start();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  await ensureTopics(brokers, [topic], { partitions: 3 });
  const apiPort = await freePort();
  let workerPort = await freePort();
  while (workerPort === apiPort || workerPort === redisServer.port) workerPort = await freePort();
  const common = {
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: prefix,
    KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    LLM_DEFAULT_PROVIDER: 'mock',
    MOCK_LATENCY_MS: String(MOCK_LATENCY_MS),
    MOCK_JUSTIFICATION_CHARS: String(JUSTIFICATION_CHARS),
    METRICS_SAMPLE_MS: '60000',
  };
  const apps: ChildProcess[] = [];
  const reader = await startReader(topic);
  try {
    const api = launch('api', n, { ...common, API_PORT: String(apiPort), API_KEYS: API_KEY });
    apps.push(api);
    const worker = launch('batch-worker', n, {
      ...common,
      WORKER_PORT: String(workerPort),
      BATCH_POLL_INTERVAL_MS: String(POLL_MS),
      BATCH_POLL_MAX_INTERVAL_MS: String(POLL_MS),
    });
    apps.push(worker);
    await waitHealthy(`http://127.0.0.1:${apiPort}/health/live`, 180_000);
    await waitHealthy(`http://127.0.0.1:${workerPort}/health/live`, 180_000);
    const baseline = await usedMemory(redis);

    // Ingest: open → parts (essays, then comparisons) → seal, as a client would send a national round.
    const base = `http://127.0.0.1:${apiPort}/api/v1/comparison/batch/uploads`;
    const ingestStart = performance.now();
    const opened = await call('POST', base, {
      correlation_id: `bench-scale-${run}`,
      user_prompt: 'Which essay argues better? Weigh thesis, structure, evidence and conclusion.',
    });
    const uploadId = String(opened.upload_id);
    let part = 0;
    let uploadBytes = 0;
    const put = async (body: unknown) => {
      part += 1;
      uploadBytes += Buffer.byteLength(JSON.stringify(body));
      await call('PUT', `${base}/${uploadId}/parts/${part}`, body);
    };
    for (const page of pages(essays, (i) => ({ essay_id: `e-${i}`, text: essayText(i, essays) }))) {
      await put({ essays: page });
    }
    for (const page of pages(n, (i) => comparisonOf(i, essays))) await put({ comparisons: page });
    const sealed = await call('POST', `${base}/${uploadId}/seal`);
    const sealedAt = Date.now();
    const ingestMs = performance.now() - ingestStart;
    const batchId = String(sealed.batch_id);

    // Sample Redis while the batch runs (used_memory_peak is kept by Redis itself as well).
    let redisPeak = baseline.used;
    const sampler = setInterval(() => {
      void usedMemory(redis).then((m) => (redisPeak = Math.max(redisPeak, m.used, m.peak)));
    }, 500);
    try {
      await reader.waitFor(n + 2, 30 * 60_000);
    } finally {
      clearInterval(sampler);
    }
    const end = await usedMemory(redis);
    redisPeak = Math.max(redisPeak, end.peak);
    const workerMemory = memoryOf(worker.pid!);
    const apiMemory = memoryOf(api.pid!);
    const record = JSON.parse((await redis.hget(`${prefix}:batch:{${batchId}}`, 'record')) ?? 'null') as {
      created_at: string;
      submitted_at: string;
      provider_ref: {
        submitted_at: string;
        parts: Array<{ state: { submitted_at_ms: number; input_bytes?: number } }>;
      };
    } | null;
    if (!record) throw new Error(`bench scale: batch ${batchId} not found in Redis`);
    const ref = record.provider_ref;
    const providerEnd = Math.max(...ref.parts.map((p) => p.state.submitted_at_ms)) + MOCK_LATENCY_MS;
    const kafka = reader.figures();
    return {
      comparisons: n,
      essays,
      uploadParts: part,
      uploadBytes,
      ingestMs,
      readMs: Date.parse(ref.submitted_at) - Date.parse(record.created_at),
      buildMs: Date.parse(record.submitted_at) - Date.parse(ref.submitted_at),
      providerParts: ref.parts.length,
      providerFileBytes: ref.parts.reduce((sum, p) => sum + (p.state.input_bytes ?? 0), 0),
      fanOutMs: kafka.lastTimestamp - providerEnd,
      sealToLastEventMs: kafka.lastTimestamp - sealedAt,
      events: kafka.distinct,
      workerPeakRss: workerMemory.peak,
      apiPeakRss: apiMemory.peak,
      redisGrowthPeak: redisPeak - baseline.used,
      redisGrowthEnd: end.used - baseline.used,
      kafkaBytes: kafka.bytes,
      kafkaRecords: kafka.records,
    };
  } finally {
    await reader.stop();
    for (const app of apps.reverse()) await stopApp(app);
    await redis.quit();
    await redisServer.stop();
    const admin = new Kafka({ clientId: 'bench-scale-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

const MB = 1024 * 1024;

const benchmark: Benchmark = {
  name: 'scale',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    const sizes = sizesFromArgs();
    compileApps('scale', ['api', 'batch-worker']);
    const rows: BenchRow[] = [];
    const load = (when: string) =>
      rows.push({
        benchmark: 'scale',
        case: when,
        metric: 'load average (1 min) on this machine',
        value: loadavg()[0],
        unit: '',
      });
    load('before');
    for (const n of sizes) {
      process.stderr.write(`bench scale: ${n.toLocaleString('en')} comparisons\n`);
      const f = await runSize(n);
      const name = `${n.toLocaleString('en')} comparisons, ${f.essays.toLocaleString('en')} essays (k=${K})`;
      const row = (metric: string, value: number, unit: string) =>
        rows.push({ benchmark: 'scale', case: name, metric, value, unit });
      row(`ingest: upload open → ${f.uploadParts} parts → seal answered`, f.ingestMs / 1000, 's');
      row('upload bytes sent', f.uploadBytes / MB, 'MiB');
      row('seal → batch read from Redis (queue + paged read)', f.readMs / 1000, 's');
      row(`provider-file build (${f.providerParts} parts, streamed to disk)`, f.buildMs / 1000, 's');
      row('provider file bytes', f.providerFileBytes / MB, 'MiB');
      row(`fan-out: provider end → last event on Kafka (poll ${POLL_MS} ms)`, f.fanOutMs / 1000, 's');
      row('events/s over the fan-out', f.events / (f.fanOutMs / 1000), 'events/s');
      row('seal → last event on Kafka', f.sealToLastEventMs / 1000, 's');
      row('distinct events on Kafka (N + started + completed)', f.events, 'events');
      row('worker peak RSS (VmHWM)', f.workerPeakRss / MB, 'MiB');
      row('api peak RSS (VmHWM)', f.apiPeakRss / MB, 'MiB');
      row('Redis used_memory growth, peak', f.redisGrowthPeak / MB, 'MiB');
      row('Redis used_memory growth, at the end (results kept)', f.redisGrowthEnd / MB, 'MiB');
      row(
        `Kafka bytes produced (${f.kafkaRecords.toLocaleString('en')} records, key + value)`,
        f.kafkaBytes / MB,
        'MiB',
      );
    }
    load('after');
    return rows;
  },
};

export default benchmark;
