import { Inject, Injectable } from '@nestjs/common';
import type { BatchRecord, StoredResult } from '#batch-store';
import { AppMetrics, type ComparisonOutcome } from '#infra';
import { Counter } from 'prom-client';

function outcomeOf(stored: StoredResult): ComparisonOutcome {
  const code = stored.result.error_detail?.error_code;
  if (!code) return 'success';
  if (code === 'BATCH_EXPIRED') return 'expired';
  if (code === 'CANCELED') return 'canceled';
  return 'error';
}

/** Worker-side recording of comparisons, tokens, cost and batch durations into the app's metrics registry. */
@Injectable()
export class WorkerMetrics {
  private readonly stepFailures: Counter<'provider' | 'phase' | 'decision'>;
  private readonly cancelFailures: Counter<'provider'>;

  constructor(@Inject(AppMetrics) readonly metrics: AppMetrics) {
    const registers = [metrics.registry];
    this.stepFailures = new Counter({
      name: 'llm_batch_step_failures_total',
      help: 'Batch steps that failed transiently, by provider, phase (submit, poll) and decision (retry, gave_up)',
      labelNames: ['provider', 'phase', 'decision'],
      registers,
    });
    this.cancelFailures = new Counter({
      name: 'llm_batch_cancel_failures_total',
      help: 'Failed batches whose provider parts could not be cancelled (may still run and bill), by provider',
      labelNames: ['provider'],
      registers,
    });
  }

  recordStepFailure(provider: string, phase: string, retried: boolean): void {
    this.stepFailures.inc({ provider, phase, decision: retried ? 'retry' : 'gave_up' });
  }

  recordCancelFailure(provider: string): void {
    this.cancelFailures.inc({ provider });
  }

  /** Call only for results that were newly stored, so a repeated step does not count twice. */
  recordResults(record: BatchRecord, results: StoredResult[]): void {
    const provider = record.config.provider;
    const outcomes = new Map<ComparisonOutcome, number>();
    const costs = new Map<string, { cost: number; individual: number }>();
    for (const stored of results) {
      const outcome = outcomeOf(stored);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (outcome !== 'success') continue;
      const { model, token_usage, cost_estimate } = stored.result;
      this.metrics.recordUsage(provider, model, token_usage);
      if (cost_estimate === null) continue; // unknown price (unlisted model): never counted as free
      const sum = costs.get(model) ?? { cost: 0, individual: 0 };
      sum.cost += cost_estimate;
      sum.individual += stored.individual_cost_usd ?? cost_estimate;
      costs.set(model, sum);
    }
    for (const [outcome, count] of outcomes)
      this.metrics.recordComparisons(provider, record.mode, outcome, count);
    for (const [model, sum] of costs) this.metrics.recordCost(provider, model, sum.cost, sum.individual);
  }

  recordFinished(record: BatchRecord): void {
    const seconds = Math.max(0, (Date.now() - Date.parse(record.created_at)) / 1000);
    this.metrics.recordBatchFinished(record.config.provider, record.mode, record.status, seconds);
  }
}
