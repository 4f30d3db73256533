import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { REDIS_PROBE_CLIENT } from '../redis/redis.tokens.js';
import { HEALTH_OPTIONS, type HealthOptions } from './health-options.js';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(REDIS_PROBE_CLIENT) private readonly redis: Redis,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {}

  check() {
    return this.health
      .check('redis')
      .attempt(async () => {
        const reply = await this.redis.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${reply}`);
      })
      .withTimeout(this.options.timeoutMs);
  }
}
