import { Inject, Injectable } from '@nestjs/common';
import { recordFinishedMetric, recordResultMetrics, type BatchRecord, type StoredResult } from '#batch-store';
import { AppMetrics } from '#infra';
import { Counter } from 'prom-client';

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
    recordResultMetrics(this.metrics, record, results);
  }

  recordFinished(record: BatchRecord): void {
    recordFinishedMetric(this.metrics, record);
  }
}
