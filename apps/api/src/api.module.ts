import { Module, type DynamicModule } from '@nestjs/common';
import { parseBrokers, PlatformModule } from '#infra';
import { loadProvidersConfig, type ProvidersConfig } from '#llm-providers';
import { ApiCoreModule } from './api-core.module.js';
import { ApiStorageModule } from './api-storage.module.js';
import { AssessmentModule } from './assessment/assessment.module.js';
import type { ApiEnv } from './config/api-env.js';
import { apiSettingsFrom } from './config/api-settings.js';
import { ApiTopicsModule } from './topics/api-topics.module.js';

export interface ApiModuleOptions {
  /** Defaults to loadProvidersConfig(process.env). */
  providers?: ProvidersConfig;
  /** Node process metrics (off in tests that start several apps in one process). */
  defaultMetrics?: boolean;
}

@Module({})
export class ApiModule {
  static forRoot(env: ApiEnv, options: ApiModuleOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot(env),
        ApiStorageModule.forRoot({
          redisUrl: env.REDIS_URL,
          redisClusterNodes: env.REDIS_CLUSTER_NODES,
          retentionSeconds: env.RESULT_RETENTION_SECONDS,
          keyPrefix: env.REDIS_KEY_PREFIX,
        }),
        ApiTopicsModule.forRoot({
          brokers: parseBrokers(env.KAFKA_BROKERS),
          timeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
        }),
        ApiCoreModule.forRoot({
          settings: apiSettingsFrom(env),
          providers: options.providers ?? loadProvidersConfig(process.env),
          defaultMetrics: options.defaultMetrics,
        }),
        AssessmentModule.forRoot({ kafkaBrokers: parseBrokers(env.KAFKA_BROKERS) }),
      ],
    };
  }
}
