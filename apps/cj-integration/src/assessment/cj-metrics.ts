import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppMetrics } from '#infra';
import type { RejectionReason } from './result-admission.js';

/** cj-integration's own series on the app's registry. */
@Injectable()
export class CjMetrics {
  readonly rejectedResults: Counter<'event' | 'reason'>;

  constructor(metrics: AppMetrics) {
    this.rejectedResults = new Counter({
      name: 'cj_results_rejected_total',
      help: 'Result and batch events ignored because they do not belong to a live attempt, by event and reason',
      labelNames: ['event', 'reason'],
      registers: [metrics.registry],
    });
  }

  rejected(event: 'comparison_result' | 'batch_completed', reason: RejectionReason): void {
    this.rejectedResults.inc({ event, reason });
  }
}
