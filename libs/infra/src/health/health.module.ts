import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { HEALTH_OPTIONS, type HealthOptions } from './health-options.js';
import { KafkaHealthIndicator } from './kafka.health-indicator.js';
import { RedisHealthIndicator } from './redis.health-indicator.js';

/** `GET /health/live` and `GET /health/ready`. Needs RedisModule in the app. */
@Module({})
export class HealthModule {
  static forRoot(options: HealthOptions): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_OPTIONS, useValue: options }, RedisHealthIndicator, KafkaHealthIndicator],
    };
  }
}
