import { Global, Module, type DynamicModule } from '@nestjs/common';
import { BatchStoreModule, type BatchStoreOptions } from '#batch-store';

/** Makes the batch store (repository + queues) visible to every API module. */
@Global()
@Module({})
export class ApiStorageModule {
  static forRoot(options: BatchStoreOptions): DynamicModule {
    const store = BatchStoreModule.forRoot(options);
    return { module: ApiStorageModule, imports: [store], exports: [store] };
  }
}
