import { Module, type DynamicModule } from '@nestjs/common';
import { BatchStoreModule } from '#batch-store';
import { KafkaEventPublisher, KafkaTopicCatalog, MetricsModule, parseBrokers, PlatformModule } from '#infra';
import {
  LlmProvidersModule,
  loadProvidersConfig,
  type LlmProvidersModuleOptions,
  type ProvidersConfig,
} from '#llm-providers';
import type { WorkerEnv } from './config/worker-env.js';
import { MetricsSampler } from './metrics/metrics-sampler.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import { OutboxPublisher } from './outbox/outbox-publisher.js';
import { OutboxSignal } from './outbox/outbox-signal.js';
import { BatchOutboxDrainer } from './outbox/batch-outbox-drainer.js';
import { BatchFinisher } from './pipeline/batch-finisher.js';
import { BatchStepRunner } from './pipeline/batch-step-runner.js';
import { TurnaroundTracker } from './pipeline/turnaround-tracker.js';
import { ExpiryResubmitter } from './pipeline/expiry-resubmitter.js';
import { QuotaGate } from './pipeline/quota-gate.js';
import { IndividualRunner } from './pipeline/individual-runner.js';
import { ProviderPauser } from './pipeline/provider-pauser.js';
import { ActiveBatchReconciler } from './queue/active-batch-reconciler.js';
import { QueueWorkers } from './queue/queue-workers.js';
import { IndividualLaneConsumer } from './queue/individual-lane-consumer.js';
import { IndividualSlots } from './queue/individual-slots.js';
import { WORKER_ENV } from './worker.tokens.js';

export interface WorkerModuleOptions {
  /** Defaults to loadProvidersConfig(process.env). */
  providers?: ProvidersConfig;
  /** Tests: provider classes, instant sleeps. */
  providerModule?: LlmProvidersModuleOptions;
  /** Node process metrics; off in tests that start several apps in one process. */
  defaultMetrics?: boolean;
}

@Module({})
export class WorkerModule {
  static forRoot(env: WorkerEnv, options: WorkerModuleOptions = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(env),
        MetricsModule.forRoot({ service: 'batch-worker', defaultMetrics: options.defaultMetrics ?? true }),
        BatchStoreModule.forRoot({
          redisUrl: env.REDIS_URL,
          redisClusterNodes: env.REDIS_CLUSTER_NODES,
          retentionSeconds: env.RESULT_RETENTION_SECONDS,
          keyPrefix: env.REDIS_KEY_PREFIX,
        }),
        LlmProvidersModule.forRoot(
          options.providers ?? loadProvidersConfig(process.env),
          options.providerModule,
        ),
      ],
      providers: [
        { provide: WORKER_ENV, useValue: env },
        {
          provide: KafkaEventPublisher,
          // Outboxes drained together share produce requests, each within the bound a drain's own request keeps.
          useFactory: () =>
            new KafkaEventPublisher(
              { brokers: parseBrokers(env.KAFKA_BROKERS), clientId: 'batch-worker' },
              { maxRoundBytes: env.OUTBOX_MAX_REQUEST_BYTES },
            ),
        },
        {
          provide: KafkaTopicCatalog,
          useFactory: () => new KafkaTopicCatalog(parseBrokers(env.KAFKA_BROKERS)),
        },
        OutboxSignal,
        BatchOutboxDrainer,
        OutboxPublisher,
        WorkerMetrics,
        BatchFinisher,
        ProviderPauser,
        IndividualRunner,
        TurnaroundTracker,
        ExpiryResubmitter,
        QuotaGate,
        BatchStepRunner,
        QueueWorkers,
        IndividualLaneConsumer,
        IndividualSlots,
        ActiveBatchReconciler,
        MetricsSampler,
      ],
      exports: [BatchStepRunner, OutboxPublisher],
    };
  }
}
