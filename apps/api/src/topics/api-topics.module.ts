import { Global, Module, type DynamicModule } from '@nestjs/common';
import { KafkaTopicDirectory } from './kafka-topic-directory.js';
import { TOPIC_DIRECTORY } from './topic-directory.js';

/** The broker's topic list for callback-topic checks (global, like storage: specs supply a static one instead). */
@Global()
@Module({})
export class ApiTopicsModule {
  static forRoot(options: { brokers: string[]; timeoutMs: number }): DynamicModule {
    return {
      module: ApiTopicsModule,
      providers: [
        {
          provide: TOPIC_DIRECTORY,
          useFactory: () =>
            new KafkaTopicDirectory({ brokers: options.brokers, timeoutMs: options.timeoutMs }),
        },
      ],
      exports: [TOPIC_DIRECTORY],
    };
  }
}
