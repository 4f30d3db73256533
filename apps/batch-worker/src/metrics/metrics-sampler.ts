import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BatchQueues } from '#batch-store';
import { AppMetrics } from '#infra';
import { ProviderCallCounter, ProviderRegistry } from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';

/** Feeds provider calls into metrics as they happen, and samples queue depths and circuit states. */
@Injectable()
export class MetricsSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private unsubscribe?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(AppMetrics) private readonly metrics: AppMetrics,
    @Inject(BatchQueues) private readonly queues: BatchQueues,
    @Inject(ProviderRegistry) private readonly registry: ProviderRegistry,
    @Inject(ProviderCallCounter) private readonly calls: ProviderCallCounter,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe = this.calls.onCall((event) => this.metrics.recordProviderCall(event));
    this.timer = setInterval(() => void this.sample().catch(() => undefined), this.env.METRICS_SAMPLE_MS);
    this.timer.unref();
    void this.sample().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    for (const [name, state] of Object.entries(this.registry.availability())) {
      this.metrics.setCircuitState(name, state.circuit);
    }
    for (const [queue, counts] of Object.entries(await this.queues.depths())) {
      for (const [state, depth] of Object.entries(counts)) this.metrics.setQueueDepth(queue, state, depth);
    }
  }
}
