import { Global, Module, type DynamicModule } from '@nestjs/common';
import {
  BatchStoreModule,
  CompletionWatchers,
  RedisCompletionSubscriber,
  type BatchStoreOptions,
} from '#batch-store';

/**
 * Makes the batch store (repository + queues) visible to every API module, with the terminal-notification
 * subscriber that wakes held `Prefer: wait` requests.
 */
@Global()
@Module({})
export class ApiStorageModule {
  static forRoot(options: BatchStoreOptions): DynamicModule {
    const store = BatchStoreModule.forRoot(options);
    return {
      module: ApiStorageModule,
      imports: [store],
      providers: [
        { provide: CompletionWatchers, useValue: new CompletionWatchers() },
        RedisCompletionSubscriber,
      ],
      exports: [store, CompletionWatchers],
    };
  }
}
