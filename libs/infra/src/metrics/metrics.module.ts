import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AppMetrics } from './app-metrics.js';
import { METRICS_OPTIONS, type MetricsModuleOptions } from './metrics-options.js';
import { MetricsController } from './metrics.controller.js';

/**
 * Global: one AppMetrics per app, injectable anywhere, and `GET /metrics`. The worker and cj-integration serve it
 * on their probe port; the API on its own port (behind the API key unless METRICS_PUBLIC=true).
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [
        { provide: METRICS_OPTIONS, useValue: options },
        { provide: AppMetrics, useFactory: () => new AppMetrics(options.service, options) },
      ],
      exports: [AppMetrics],
    };
  }
}
