import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppMetrics } from '#infra';
import type { RejectionReason } from './result-admission.js';

/** cj-integration's own series on the app's registry. */
@Injectable()
export class CjMetrics {
  readonly rejectedResults: Counter<'event' | 'reason'>;
  readonly unanswerableRequests: Counter<'reason'>;

  constructor(metrics: AppMetrics) {
    this.rejectedResults = new Counter({
      name: 'cj_results_rejected_total',
      help: 'Result and batch events ignored because they do not belong to a live attempt, by event and reason',
      labelNames: ['event', 'reason'],
      registers: [metrics.registry],
    });
    this.unanswerableRequests = new Counter({
      name: 'cj_requests_unanswerable_total',
      help: 'Assessment request messages skipped because they carry no id a failure event could answer, by reason',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
  }

  unanswerable(reason: 'not_json' | 'not_an_object' | 'no_event_id'): void {
    this.unanswerableRequests.inc({ reason });
  }

  rejected(event: 'comparison_result' | 'batch_completed', reason: RejectionReason): void {
    this.rejectedResults.inc({ event, reason });
  }
}
