import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { QUEUES } from '#contracts';
import { BatchQueues } from './batch-queues.js';
import { BatchRepository } from './batch.repository.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';
import { OutboxRepository } from './outbox.repository.js';
import { UploadRepository } from './upload.repository.js';
import { CircuitStateStore } from './circuit-state.store.js';
import { BatchWakeups } from './wakeups/batch-wakeups.js';
import { ProviderPauseStore } from './provider-pause.store.js';
import { EnqueuedTokenStore } from './enqueued-tokens.store.js';
import { bullConnectionOptions } from './redis-connection.js';

/**
 * Batch repositories and the two work queues. Needs RedisModule (REDIS_CLIENT) in the app. Exports BullModule,
 * so an app importing this module can declare @Processor classes for QUEUES.batches / QUEUES.comparisons.
 */
@Module({})
export class BatchStoreModule {
  static forRoot(options: BatchStoreOptions): DynamicModule {
    return {
      module: BatchStoreModule,
      imports: [
        BullModule.forRoot({
          connection: bullConnectionOptions(options.redisUrl),
          prefix: `${resolvedKeyPrefix(options)}:bull`,
        }),
        BullModule.registerQueue({ name: QUEUES.batches }, { name: QUEUES.comparisons }),
      ],
      providers: [
        { provide: BATCH_STORE_OPTIONS, useValue: options },
        BatchRepository,
        OutboxRepository,
        UploadRepository,
        BatchQueues,
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
        CircuitStateStore,
        ProviderPauseStore,
        EnqueuedTokenStore,
        BullModule,
      ],
    };
  }
}
