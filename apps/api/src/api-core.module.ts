import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MetricsModule } from '#infra';
import { LlmProvidersModule, type LlmProvidersModuleOptions, type ProvidersConfig } from '#llm-providers';
import { ApiAuthenticator } from './auth/api-authenticator.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { TenantMetrics } from './auth/tenant-metrics.js';
import { TenantRateLimiter } from './rate-limit/tenant-rate-limiter.js';
import { ComparisonModule } from './comparison/comparison.module.js';
import { API_SETTINGS, type ApiSettings } from './config/api-settings.js';
import { ProviderAvailabilityService } from './providers/provider-availability.service.js';
import { ProvidersStatusModule } from './providers/providers-status.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

export interface ApiCoreOptions {
  settings: ApiSettings;
  providers: ProvidersConfig;
  providerOptions?: LlmProvidersModuleOptions;
  /** Node process metrics (off in tests that build many apps). */
  defaultMetrics?: boolean;
}

/**
 * The API's routes, auth, metrics and provider library, without any connection: storage (BatchRepository,
 * BatchQueues) comes from a global module the caller adds (ApiStorageModule in production, fakes in specs).
 */
@Global()
@Module({})
export class ApiCoreModule {
  static forRoot(options: ApiCoreOptions): DynamicModule {
    return {
      module: ApiCoreModule,
      imports: [
        MetricsModule.forRoot({ service: 'api', defaultMetrics: options.defaultMetrics }),
        LlmProvidersModule.forRoot(options.providers, options.providerOptions),
        ComparisonModule,
        ProvidersStatusModule,
        WebhooksModule,
      ],
      providers: [
        { provide: API_SETTINGS, useValue: options.settings },
        ApiAuthenticator,
        TenantMetrics,
        TenantRateLimiter,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        ProviderAvailabilityService,
      ],
      exports: [
        API_SETTINGS,
        ApiAuthenticator,
        TenantMetrics,
        TenantRateLimiter,
        ProviderAvailabilityService,
      ],
    };
  }
}
