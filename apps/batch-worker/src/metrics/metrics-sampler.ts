import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ProviderName } from '#contracts';
import { BatchQueues, CircuitStateStore } from '#batch-store';
import { AppMetrics } from '#infra';
import {
  CircuitBreakerRegistry,
  ProviderCallCounter,
  ProviderRegistry,
  type CircuitState,
} from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';

/** A shared circuit state outlives a few missed refreshes, not a dead worker. */
export function circuitStateTtlSeconds(sampleMs: number): number {
  return Math.max(10, Math.ceil((3 * sampleMs) / 1000));
}

/**
 * Feeds provider calls into metrics as they happen, and samples queue depths and circuit states. Circuit
 * states also go to Redis (at once on every change, then with each sample) so the API, which calls providers
 * only for the few requests it runs itself, refuses work for a provider whose circuit is open here.
 */
@Injectable()
export class MetricsSampler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsSampler.name);
  private readonly unsubscribe: Array<() => void> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(AppMetrics) private readonly metrics: AppMetrics,
    @Inject(BatchQueues) private readonly queues: BatchQueues,
    @Inject(ProviderRegistry) private readonly registry: ProviderRegistry,
    @Inject(ProviderCallCounter) private readonly calls: ProviderCallCounter,
    @Inject(CircuitBreakerRegistry) private readonly breakers: CircuitBreakerRegistry,
    @Inject(CircuitStateStore) private readonly circuits: CircuitStateStore,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.unsubscribe.push(
      this.calls.onCall((event) => this.metrics.recordProviderCall(event)),
      this.breakers.onStateChange((provider, state) => this.onCircuitChange(provider, state)),
    );
    this.timer = setInterval(() => void this.sample().catch(() => undefined), this.env.METRICS_SAMPLE_MS);
    this.timer.unref();
    void this.sample().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    const states: Partial<Record<ProviderName, CircuitState>> = {};
    for (const [name, state] of Object.entries(this.registry.availability())) {
      this.metrics.setCircuitState(name, state.circuit);
      states[name as ProviderName] = state.circuit;
    }
    await this.circuits.writeAll(states, circuitStateTtlSeconds(this.env.METRICS_SAMPLE_MS));
    for (const [queue, counts] of Object.entries(await this.queues.depths())) {
      for (const [state, depth] of Object.entries(counts)) this.metrics.setQueueDepth(queue, state, depth);
    }
  }

  private onCircuitChange(provider: ProviderName, state: CircuitState): void {
    this.metrics.setCircuitState(provider, state);
    this.circuits
      .write(provider, state, circuitStateTtlSeconds(this.env.METRICS_SAMPLE_MS))
      .catch((err: unknown) =>
        this.logger.warn({ msg: 'circuit state not shared', provider, error: (err as Error).message }),
      );
  }
}
