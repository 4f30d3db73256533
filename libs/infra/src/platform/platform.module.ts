import { Module, type DynamicModule } from '@nestjs/common';
import type { CommonEnv } from '../config/common-env.js';
import { HealthModule } from '../health/health.module.js';
import { parseBrokers } from '../kafka/kafka-config.js';
import { RedisModule } from '../redis/redis.module.js';
import { redisTargetFrom } from '../redis/redis-target.js';

/** What every app needs from the platform: the Redis connections and the /health/live + /health/ready probes. */
@Module({})
export class PlatformModule {
  static forRoot(env: CommonEnv): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        RedisModule.forRoot({ target: redisTargetFrom(env) }),
        HealthModule.forRoot({
          kafkaBrokers: parseBrokers(env.KAFKA_BROKERS),
          timeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
          cacheMs: 1000,
        }),
      ],
    };
  }
}
