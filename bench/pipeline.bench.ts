// The worker's pipeline for one 10,000-comparison batch: time from the moment the provider batch ends to the last
// event read back from Kafka, and provider HTTP calls per batch through the batch API vs per-request processing
// (BATCH_PROCESSING_ENABLED=false, the rollback path). The worker runs as the built app in its own process (tsx
// cannot emit the decorator metadata Nest's DI needs); batches are stored and enqueued as the API would.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { QUEUES, type ComparisonRequest, type ResolvedLlmConfig } from '#contracts';
import {
  BatchQueues,
  BatchRepository,
  IndividualLane,
  bullConnectionOptions,
  bullPrefix,
  type BatchJobData,
  type BatchRecord,
} from '#batch-store';
import { ensureTopics, parseBrokers } from '#infra';
import { loadProvidersConfig, resolveLlmConfig, withHiddenQuality } from '#llm-providers';
// The fake's own module: the testing index also exports the Jest contract suite.
import { OpenAIFakeServer } from '../libs/llm-providers/testing/openai-fake-server.js';
import { signedOpenAiBatchCompleted } from '../libs/llm-providers/testing/webhook-sender.js';
import type { Benchmark, BenchRow } from './bench.types.js';
import { compileApps, freePort, startApp, stopApp } from './support/built-apps.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const N = Number(process.env.BENCH_PIPELINE_N ?? 10_000);
/** How long the Mock's provider batch runs; the clock of the end-to-end figure starts when it ends. */
const MOCK_LATENCY_MS = 5_000;
const POLL_MS = 100;
/** Issue 12's targets with webhooks: provider end → last result event, and provider HTTP calls per batch. */
const WEBHOOK_END_TO_EVENT_TARGET_MS = 3_000;
const WEBHOOK_CALLS_TARGET = 6;
const TEN_MINUTES = '600000';
const WEBHOOK_SECRET = `whsec_${Buffer.from('bench-openai-webhook-secret-0123456789').toString('base64')}`;
const API_KEY = 'bench-key-0123456789abcdef';
const ESSAY = 'The essay develops its argument with evidence and counterpoints. '.repeat(8);

const comparisons = (): ComparisonRequest[] =>
  Array.from({ length: N }, (_, i) => ({
    comparison_id: `p-${i}`,
    user_prompt: 'Compare the two essays on argument quality.',
    essay_a: withHiddenQuality(ESSAY, ((i * 37) % 100) / 100),
    essay_b: withHiddenQuality(ESSAY, ((i * 61 + 13) % 100) / 100),
    metadata: { assessment_id: 'bench', pair_index: i },
  }));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench pipeline: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A separate consumer on the batch's topic; remembers when the last new event id arrived. */
async function startReader(topic: string) {
  const kafka = new Kafka({
    clientId: 'bench-pipeline',
    brokers: parseBrokers(KAFKA_BROKERS),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const ids = new Set<string>();
  let lastAt = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        const id = (JSON.parse(message.value?.toString() ?? '{}') as { event_id?: string }).event_id;
        if (id && !ids.has(id)) {
          ids.add(id);
          lastAt = Date.now();
        }
      }
    },
  });
  return {
    distinct: () => ids.size,
    lastAt: () => lastAt,
    stop: () => consumer.disconnect(),
  };
}

/** Sum of llm_provider_http_calls_total for the Mock in the worker's /metrics. */
async function providerCalls(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('llm_provider_http_calls_total{') && line.includes('provider="mock"'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** What a case shares with the worker: its key prefix's batch store and BullMQ queues, removed again by close(). */
async function openStore(prefix: string) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const [batches, comparisonQueue] = [QUEUES.batches, QUEUES.comparisons].map(
    (name) =>
      new Queue<BatchJobData>(name, {
        connection: bullConnectionOptions(REDIS_URL),
        prefix: bullPrefix(prefix),
      }),
  );
  const repo = new BatchRepository(redis, { redisUrl: REDIS_URL, retentionSeconds: 600, keyPrefix: prefix });
  return {
    repo,
    batches,
    /** Stores the batch and enqueues it as the API would; returns its id and when it was enqueued. */
    async submit(
      mode: 'batch' | 'individual',
      config: ResolvedLlmConfig,
      topic: string,
      requests: ComparisonRequest[],
    ) {
      const batchId = randomUUID();
      await repo.create(
        {
          batch_id: batchId,
          kind: 'batch',
          mode,
          correlation_id: batchId,
          assessment_id: 'bench',
          callback_topic: topic,
          priority: 5,
          config,
          comparison_count: requests.length,
          request_hash: batchId,
          idempotency_key: null,
          created_at: new Date().toISOString(),
        },
        requests,
      );
      const enqueuedAt = Date.now();
      const lane = new IndividualLane(redis, {
        redisUrl: REDIS_URL,
        retentionSeconds: 600,
        keyPrefix: prefix,
      });
      await new BatchQueues(batches, comparisonQueue, lane).enqueueBatch(batchId, 5);
      return { batchId, enqueuedAt };
    },
    async close() {
      await Promise.allSettled([batches.close(), comparisonQueue.close()]);
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await redis.quit();
    },
  };
}

/** Waits until every URL answers 2xx (the built apps are up). */
async function untilUp(urls: string[]): Promise<void> {
  for (const url of urls) {
    await until(
      'apps up',
      async () => ((await fetch(url).catch(() => undefined))?.ok ? true : undefined),
      60_000,
    );
  }
}

interface CaseResult {
  calls: number;
  enqueueToLastEventMs: number;
  batchEndToLastEventMs?: number;
}

async function runCase(batchApi: boolean): Promise<CaseResult> {
  const prefix = `bench-pipe-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const topic = `bench.pipeline.${randomUUID()}.v1`;
  await ensureTopics(parseBrokers(KAFKA_BROKERS), [topic]);
  const worker = startApp('batch-worker', {
    REDIS_URL,
    KAFKA_BROKERS,
    REDIS_KEY_PREFIX: prefix,
    WORKER_PORT: String(port),
    LLM_DEFAULT_PROVIDER: 'mock',
    MOCK_LATENCY_MS: String(MOCK_LATENCY_MS),
    BATCH_PROCESSING_ENABLED: String(batchApi),
    BATCH_POLL_INTERVAL_MS: String(POLL_MS),
    BATCH_POLL_MAX_INTERVAL_MS: String(POLL_MS),
    METRICS_SAMPLE_MS: '60000',
  });
  const store = await openStore(prefix);
  const reader = await startReader(topic);
  try {
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    await untilUp([metricsUrl]);
    const config = resolveLlmConfig({ provider_override: 'mock' }, loadProvidersConfig({}));
    const { batchId, enqueuedAt } = await store.submit(
      batchApi ? 'batch' : 'individual',
      config,
      topic,
      comparisons(),
    );

    let dueAt: number | undefined;
    if (batchApi) {
      const record = await until<BatchRecord>(
        'provider ref',
        async () => {
          const r = await store.repo.get(batchId);
          return r?.provider_ref && r.provider_ref.parts.length === r.provider_ref.part_count ? r : undefined;
        },
        60_000,
      );
      dueAt =
        Math.max(
          ...record.provider_ref!.parts.map((p) =>
            Number((p.state as { submitted_at_ms: number }).submitted_at_ms),
          ),
        ) + MOCK_LATENCY_MS;
    }
    await until('every event on Kafka', async () => (reader.distinct() >= N + 2 ? true : undefined), 300_000);
    return {
      calls: await providerCalls(metricsUrl),
      enqueueToLastEventMs: reader.lastAt() - enqueuedAt,
      batchEndToLastEventMs: dueAt === undefined ? undefined : reader.lastAt() - dueAt,
    };
  } finally {
    await reader.stop();
    await stopApp(worker);
    await store.close();
  }
}

interface WebhookCaseResult {
  /** Every HTTP request the fake OpenAI received for this batch (upload, create, retrieve, downloads). */
  calls: number;
  batchEndToLastEventMs: number;
  /** Milliseconds after the provider batch ended at which each step was seen. */
  phases: { webhookAnsweredMs: number; firstCallMs: number; lastCallMs: number };
}

/**
 * Push, then poll, end to end: the OpenAI fake (the official SDK against it) holds the batch until the bench
 * ends it; at that moment the bench delivers OpenAI's signed batch.completed webhook to the API, as OpenAI would.
 * Polls are every 10 minutes, so only the notification can bring the results within the run.
 */
async function runWebhookCase(): Promise<WebhookCaseResult> {
  const prefix = `bench-hook-${randomUUID().slice(0, 8)}`;
  const [workerPort, apiPort] = [await freePort(), await freePort()];
  const topic = `bench.pipeline.${randomUUID()}.v1`;
  await ensureTopics(parseBrokers(KAFKA_BROKERS), [topic]);
  const fake = new OpenAIFakeServer();
  await fake.start();
  fake.holdBatches();
  const providerEnv = { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: `${fake.url}/v1` };
  const worker = startApp('batch-worker', {
    REDIS_URL,
    KAFKA_BROKERS,
    REDIS_KEY_PREFIX: prefix,
    WORKER_PORT: String(workerPort),
    ...providerEnv,
    WEBHOOK_PROVIDERS: 'openai',
    BATCH_POLL_INTERVAL_MS: TEN_MINUTES,
    BATCH_POLL_MAX_INTERVAL_MS: TEN_MINUTES,
    BATCH_POLL_SAFETY_INTERVAL_MS: TEN_MINUTES,
    METRICS_SAMPLE_MS: '60000',
  });
  const api = startApp('api', {
    REDIS_URL,
    KAFKA_BROKERS,
    REDIS_KEY_PREFIX: prefix,
    API_PORT: String(apiPort),
    API_KEYS: API_KEY,
    OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ...providerEnv,
    METRICS_SAMPLE_MS: '60000',
  });
  const store = await openStore(prefix);
  const reader = await startReader(topic);
  try {
    await untilUp([`http://127.0.0.1:${workerPort}/metrics`, `http://127.0.0.1:${apiPort}/health/live`]);
    const config = resolveLlmConfig({ provider_override: 'openai' }, loadProvidersConfig(providerEnv));
    const { batchId } = await store.submit('batch', config, topic, comparisons());
    const submitted = await until<BatchRecord>(
      'submitted and waiting for its 10-minute poll',
      async () => {
        const r = await store.repo.get(batchId);
        const job = await store.batches.getJob(batchId);
        return r?.status === 'submitted' && (await job?.isDelayed()) ? r : undefined;
      },
      120_000,
    );
    // The provider batch ends now (its result files written), and OpenAI announces it.
    fake.endRunningBatches();
    const endedAt = Date.now();
    for (const part of submitted.provider_ref!.parts) {
      const event = signedOpenAiBatchCompleted(WEBHOOK_SECRET, part.provider_batch_id, `wh_${randomUUID()}`);
      const res = await fetch(`http://127.0.0.1:${apiPort}/webhooks/openai`, {
        method: 'POST',
        headers: event.headers,
        body: event.body,
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    }
    const webhookAnsweredMs = Date.now() - endedAt;
    await until('every event on Kafka', async () => (reader.distinct() >= N + 2 ? true : undefined), 300_000);
    // The worker's provider calls after the end: the status read the webhook woke, then the result file's.
    const after = fake.requestLog.filter((r) => r.receivedAt >= endedAt).map((r) => r.receivedAt - endedAt);
    return {
      calls: fake.countRequests(/./),
      batchEndToLastEventMs: reader.lastAt() - endedAt,
      phases: {
        webhookAnsweredMs,
        firstCallMs: after.length > 0 ? Math.min(...after) : NaN,
        lastCallMs: after.length > 0 ? Math.max(...after) : NaN,
      },
    };
  } finally {
    await reader.stop();
    await stopApp(api);
    await stopApp(worker);
    await fake.stop();
    await store.close();
  }
}

const benchmark: Benchmark = {
  name: 'pipeline',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    compileApps('pipeline', ['batch-worker', 'api']);

    const hooked = await runWebhookCase();
    const batch = await runCase(true);
    const individual = await runCase(false);
    const rows: BenchRow[] = [];
    const row = (c: string, metric: string, value: number, unit: string, ratio?: BenchRow['ratio']) =>
      rows.push({ benchmark: 'pipeline', case: c, metric, value, unit, ratio });
    const batchCase = `batch API, ${N.toLocaleString('en')} comparisons`;
    const hookCase = `OpenAI (SDK on a local fake) with webhook, ${N.toLocaleString('en')} comparisons, polls every 10 min`;
    rows.push(
      {
        benchmark: 'pipeline',
        case: hookCase,
        metric: 'provider batch end → last result event on Kafka',
        value: hooked.batchEndToLastEventMs,
        unit: 'ms',
        target: { max: WEBHOOK_END_TO_EVENT_TARGET_MS, issue: '#12' },
        baseline: { value: 600_000, label: 'next poll without the webhook' },
      },
      {
        benchmark: 'pipeline',
        case: hookCase,
        metric: 'provider HTTP calls per batch (counted at the fake)',
        value: hooked.calls,
        unit: 'calls',
        target: { max: WEBHOOK_CALLS_TARGET, issue: '#12' },
        baseline: { value: batch.calls, label: `Mock batch API, poll ${POLL_MS} ms` },
      },
    );
    // Where the end-to-end time goes (informational): seen from the bench's side of each hop.
    for (const [metric, value] of [
      ['provider batch end → webhook answered (202/200 by the API)', hooked.phases.webhookAnsweredMs],
      ['provider batch end → first provider call (the woken status read)', hooked.phases.firstCallMs],
      ['provider batch end → last provider call (result file read)', hooked.phases.lastCallMs],
    ] as const)
      row(hookCase, metric, value, 'ms');
    const perRequest = `per-request (BATCH_PROCESSING_ENABLED=false)`;
    row(
      batchCase,
      `provider batch end → last event on Kafka (poll ${POLL_MS} ms)`,
      batch.batchEndToLastEventMs!,
      'ms',
    );
    row(batchCase, 'enqueue → last event on Kafka', batch.enqueueToLastEventMs, 'ms', {
      value: batch.enqueueToLastEventMs / individual.enqueueToLastEventMs,
      against: 'per-request',
    });
    row(perRequest, 'enqueue → last event on Kafka', individual.enqueueToLastEventMs, 'ms');
    row(perRequest, 'provider HTTP calls per batch', individual.calls, 'calls');
    row(batchCase, 'provider HTTP calls per batch', batch.calls, 'calls');
    // A ratio of calls (batch ÷ per-request) would print as 0.00x; the reduction factor reads better.
    row(
      'batch API vs per-request',
      'provider HTTP calls, per-request ÷ batch API',
      individual.calls / batch.calls,
      'x',
    );
    return rows;
  },
};

export default benchmark;
