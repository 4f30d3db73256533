import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createBatchingRedisClient, createRedisClient, type RedisTarget } from './redis-target.js';
import { REDIS_CLIENT, REDIS_PROBE_CLIENT, REDIS_TARGET } from './redis.tokens.js';

export interface RedisModuleOptions {
  target: RedisTarget;
}

class RedisConnections implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CLIENT) private readonly client: Redis,
    @Inject(REDIS_PROBE_CLIENT) private readonly probe: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.client.quit(), this.probe.quit()]);
  }
}

@Global()
@Module({})
export class RedisModule {
  static forRoot(options: RedisModuleOptions): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        { provide: REDIS_TARGET, useValue: options.target },
        {
          provide: REDIS_CLIENT,
          // The commands issued in one event-loop turn (concurrent requests, Promise.all) go in one socket write.
          useFactory: () =>
            createBatchingRedisClient(options.target, {
              maxRetriesPerRequest: null,
              connectionName: 'app',
            }),
        },
        {
          provide: REDIS_PROBE_CLIENT,
          useFactory: () =>
            createRedisClient(options.target, {
              enableOfflineQueue: false,
              maxRetriesPerRequest: 0,
              connectTimeout: 1000,
              retryStrategy: () => 250,
              connectionName: 'probe',
            }),
        },
        RedisConnections,
      ],
      exports: [REDIS_CLIENT, REDIS_PROBE_CLIENT, REDIS_TARGET],
    };
  }
}
