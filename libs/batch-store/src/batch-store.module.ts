import { BullModule } from '@nestjs/bullmq';
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { bullConnection, closeBullConnection } from '#infra';
import { QUEUES } from '#contracts';
import { BatchQueues } from './batch-queues.js';
import { IndividualLane } from './individual-lane/individual-lane.js';
import { BatchRepository } from './batch.repository.js';
import {
  BATCH_STORE_OPTIONS,
  bullPrefix,
  resolvedKeyPrefix,
  storeRedisTarget,
  type BatchStoreOptions,
} from './batch-store.options.js';
import { OutboxRepository } from './outbox.repository.js';
import { UploadRepository } from './upload.repository.js';
import { CircuitStateStore } from './circuit-state.store.js';
import { BatchWakeups } from './wakeups/batch-wakeups.js';
import { ProviderPauseStore } from './provider-pause.store.js';
import { EnqueuedTokenStore } from './enqueued-tokens.store.js';

const BULL_CONNECTION = Symbol('BULL_CONNECTION');

/** Closes the queues' cluster connection (BullMQ leaves a connection it was given open). */
class BullConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(BULL_CONNECTION) private readonly connection: ReturnType<typeof bullConnection>) {}

  async onApplicationShutdown(): Promise<void> {
    await closeBullConnection(this.connection);
  }
}

/**
 * Batch repositories and the two work queues. Needs RedisModule (REDIS_CLIENT) in the app. Exports BullModule,
 * so an app importing this module can declare @Processor classes for QUEUES.batches / QUEUES.comparisons.
 */
@Module({})
export class BatchStoreModule {
  static forRoot(options: BatchStoreOptions): DynamicModule {
    const connection = bullConnection(storeRedisTarget(options));
    return {
      module: BatchStoreModule,
      imports: [
        BullModule.forRoot({
          connection,
          prefix: bullPrefix(resolvedKeyPrefix(options)),
        }),
        BullModule.registerQueue({ name: QUEUES.batches }, { name: QUEUES.comparisons }),
      ],
      providers: [
        { provide: BATCH_STORE_OPTIONS, useValue: options },
        { provide: BULL_CONNECTION, useValue: connection },
        BullConnectionCloser,
        BatchRepository,
        OutboxRepository,
        UploadRepository,
        BatchQueues,
        IndividualLane,
        CircuitStateStore,
        BatchWakeups,
        ProviderPauseStore,
        EnqueuedTokenStore,
      ],
      exports: [
        BatchWakeups,
        BATCH_STORE_OPTIONS,
        BatchRepository,
        OutboxRepository,
        UploadRepository,
        BatchQueues,
        IndividualLane,
        CircuitStateStore,
        ProviderPauseStore,
        EnqueuedTokenStore,
        BullModule,
      ],
    };
  }
}
