import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { BatchQueues, BatchRepository, isTerminal, OutboxRepository, type BatchRecord } from '#batch-store';
import { JsonLogger, loadConfig } from '#infra';
import { loadProvidersConfig, type LlmProvidersModuleOptions } from '#llm-providers';
import { WorkerEnv } from '../../../../apps/batch-worker/src/config/worker-env.js';
import { WorkerModule } from '../../../../apps/batch-worker/src/worker.module.js';
import { waitFor } from './batch-factory.js';
import { KAFKA_BROKERS, REDIS_URL } from './store-harness.js';

export interface RunningWorker {
  app: INestApplication;
  env: WorkerEnv;
  repo: BatchRepository;
  queues: BatchQueues;
  outbox: OutboxRepository;
  stop(): Promise<void>;
}

/** The real WorkerModule in this process, on its own key prefix, with fast polls. */
export async function startWorker(
  env: Record<string, string> = {},
  providerEnv: Record<string, string> = {},
  providerModule: LlmProvidersModuleOptions = {},
  /** `quiet`: no logs at all (drills that break Kafka on purpose would print every kafkajs retry). */
  /** `override`: replaces providers of the real module (e.g. a Kafka publisher with a delayed produce). */
  options: { quiet?: boolean; override?: (builder: TestingModuleBuilder) => TestingModuleBuilder } = {},
): Promise<RunningWorker> {
  const workerEnv = loadConfig(WorkerEnv, {
    REDIS_URL,
    KAFKA_BROKERS,
    REDIS_KEY_PREFIX: `w-${randomUUID().slice(0, 8)}`,
    BATCH_POLL_INTERVAL_MS: '50',
    BATCH_POLL_MAX_INTERVAL_MS: '200',
    OUTBOX_POLL_MS: '20',
    OUTBOX_RETRY_MS: '200',
    RATE_LIMIT_BACKOFF_MS: '200',
    METRICS_SAMPLE_MS: '200',
    ...env,
  });
  const providers = loadProvidersConfig({
    LLM_DEFAULT_PROVIDER: 'mock',
    MOCK_LATENCY_MS: '200',
    LLM_RETRY_BASE_DELAY_MS: '10',
    LLM_RETRY_MAX_DELAY_MS: '50',
    ...providerEnv,
  });
  const builder = Test.createTestingModule({
    imports: [WorkerModule.forRoot(workerEnv, { providers, providerModule, defaultMetrics: false })],
  });
  const moduleRef = await (options.override?.(builder) ?? builder).compile();
  const app = moduleRef.createNestApplication({
    logger: options.quiet
      ? false
      : new JsonLogger('batch-worker-test', process.env.WORKER_TEST_LOG === 'warn' ? 'warn' : 'error'),
  });
  await app.init();
  return {
    app,
    env: workerEnv,
    repo: app.get(BatchRepository),
    queues: app.get(BatchQueues),
    outbox: app.get(OutboxRepository),
    async stop() {
      await app.close();
    },
  };
}

/** Removes every Redis key of a worker's prefix (records, outbox, queues). */
export async function clearPrefix(worker: RunningWorker): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${worker.env.REDIS_KEY_PREFIX}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  await redis.quit();
}

/** The batch's record once it has ended (completed, failed, canceled or expired), read through the worker's store. */
export async function waitForTerminal(
  worker: RunningWorker,
  batchId: string,
  timeoutMs = 30_000,
): Promise<BatchRecord> {
  return waitFor(
    `batch ${batchId} terminal`,
    async () => {
      const record = await worker.repo.get(batchId);
      return record && isTerminal(record.status) ? record : undefined;
    },
    timeoutMs,
  );
}
