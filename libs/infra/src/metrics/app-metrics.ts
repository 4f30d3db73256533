import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ComparisonMode = 'batch' | 'individual';
export type ComparisonOutcome = 'success' | 'error' | 'expired' | 'canceled';
export type CircuitStateName = 'closed' | 'half_open' | 'open';

/** Same shape as the provider library's ProviderCallEvent (infra must not import that library). */
export interface ProviderCallSample {
  provider: string;
  operation: string;
  outcome: 'success' | 'error';
  error_code?: string;
  duration_ms: number;
}

export interface TokenSample {
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
}

/** Gauge values of `llm_provider_circuit_state`, so a dashboard can alert on `> 0`. */
export const CIRCUIT_STATE_VALUE: Record<CircuitStateName, number> = { closed: 0, half_open: 1, open: 2 };

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_SECONDS_BUCKETS = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/**
 * The named Prometheus series the three apps record, on one registry per app (never the global one, so several
 * apps or test modules in one process do not collide). Apps record through the small methods below.
 */
export class AppMetrics {
  readonly registry = new Registry();

  readonly httpRequests = this.counter(
    'http_requests_total',
    'HTTP requests handled, by method, route template and status code',
    ['method', 'route', 'status'],
  );

  readonly httpRequestDuration = this.histogram(
    'http_request_duration_seconds',
    'HTTP request handling time, by method and route template',
    ['method', 'route'],
    SECONDS_BUCKETS,
  );

  readonly comparisons = this.counter(
    'llm_comparisons_total',
    'Comparisons finished, by provider, mode (batch or individual) and outcome',
    ['provider', 'mode', 'outcome'],
  );

  readonly providerCalls = this.counter(
    'llm_provider_http_calls_total',
    'HTTP calls made to LLM providers (each retry attempt counts), by provider, operation and outcome',
    ['provider', 'operation', 'outcome', 'error_code'],
  );

  readonly providerCallDuration = this.histogram(
    'llm_provider_http_call_duration_seconds',
    'Duration of one HTTP call to an LLM provider',
    ['provider', 'operation'],
    SECONDS_BUCKETS,
  );

  readonly batchDuration = this.histogram(
    'llm_batch_duration_seconds',
    'Time from batch acceptance to its terminal state, by provider, mode and final status',
    ['provider', 'mode', 'status'],
    BATCH_SECONDS_BUCKETS,
  );

  readonly queueDepth = this.gauge('llm_queue_depth', 'Jobs in a BullMQ queue, by queue and job state', [
    'queue',
    'state',
  ]);

  readonly circuitState = this.gauge(
    'llm_provider_circuit_state',
    'Circuit breaker state per provider: 0 closed, 1 half open, 2 open',
    ['provider'],
  );

  readonly tokens = this.counter(
    'llm_tokens_total',
    'Tokens used, by provider, model and kind (prompt, completion, cache_read, cache_write)',
    ['provider', 'model', 'kind'],
  );

  readonly costUsd = this.counter('llm_cost_usd_total', 'Estimated spend in USD, by provider and model', [
    'provider',
    'model',
  ]);

  readonly savingsUsd = this.counter(
    'llm_estimated_savings_usd_total',
    'Estimated USD saved by batch processing versus the same work as individual requests',
    ['provider', 'model'],
  );

  readonly outboxPublished = this.counter(
    'outbox_events_published_total',
    'Events the outbox delivered to Kafka (a republished event counts again)',
    [],
  );

  readonly outboxDeadLettered = this.counter(
    'outbox_events_dead_lettered_total',
    "Events that can never be delivered, moved to their batch's dead-letter record, by reason",
    ['reason'],
  );

  constructor(service: string, options: { defaultMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  recordHttpRequest(method: string, route: string, status: number, durationSeconds: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpRequestDuration.observe({ method, route }, durationSeconds);
  }

  recordComparisons(provider: string, mode: ComparisonMode, outcome: ComparisonOutcome, count = 1): void {
    if (count > 0) this.comparisons.inc({ provider, mode, outcome }, count);
  }

  recordProviderCall(sample: ProviderCallSample): void {
    const { provider, operation, outcome } = sample;
    this.providerCalls.inc({ provider, operation, outcome, error_code: sample.error_code ?? '' });
    this.providerCallDuration.observe({ provider, operation }, sample.duration_ms / 1000);
  }

  recordBatchFinished(provider: string, mode: ComparisonMode, status: string, durationSeconds: number): void {
    this.batchDuration.observe({ provider, mode, status }, durationSeconds);
  }

  setQueueDepth(queue: string, state: string, depth: number): void {
    this.queueDepth.set({ queue, state }, depth);
  }

  setCircuitState(provider: string, state: CircuitStateName): void {
    this.circuitState.set({ provider }, CIRCUIT_STATE_VALUE[state]);
  }

  recordUsage(provider: string, model: string, usage: TokenSample): void {
    const kinds: Array<[string, number | undefined]> = [
      ['prompt', usage.prompt_tokens],
      ['completion', usage.completion_tokens],
      ['cache_read', usage.cache_read_tokens],
      ['cache_write', usage.cache_write_tokens],
    ];
    for (const [kind, value] of kinds) {
      if (value !== undefined && value > 0) this.tokens.inc({ provider, model, kind }, value);
    }
  }

  /** `individualCostUsd` is what the same work would have cost without the batch discount. */
  recordCost(provider: string, model: string, costUsd: number, individualCostUsd: number): void {
    if (costUsd > 0) this.costUsd.inc({ provider, model }, costUsd);
    const saved = individualCostUsd - costUsd;
    if (saved > 0) this.savingsUsd.inc({ provider, model }, saved);
  }

  /** The exposition text and its content type, for the `/metrics` route. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
  private counter<const L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<const L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<const L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
