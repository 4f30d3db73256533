import { Injectable } from '@nestjs/common';
import type { CJFailureReason } from '#contracts';
import type { AssessmentRecord } from '#assessment-store';
import { ComparisonApiClient } from '../comparison-api/comparison-api.client.js';
import { AssessmentFinalizer } from './assessment-finalizer.service.js';
import { ResultCollector } from './result-collector.service.js';

/**
 * Ends a running assessment from outside its own flow (deadline, owner's cancel): cancels its running batch
 * (best effort: the outcome does not wait for the provider) and publishes the failed outcome with `reason`.
 */
@Injectable()
export class AssessmentStopper {
  constructor(
    private readonly finalizer: AssessmentFinalizer,
    private readonly collector: ResultCollector,
    private readonly api: ComparisonApiClient,
  ) {}

  async stop(
    record: AssessmentRecord,
    reason: CJFailureReason,
    message: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    const running = record.batches.at(-1);
    if (running?.batch_id && (running.status === 'accepted' || running.status === 'submitting')) {
      await this.api.cancelBatch(running.batch_id).catch(() => undefined);
    }
    const successes = await this.collector.successes(record);
    await this.finalizer.fail(record.assessment_id, reason, message, successes.size, details);
  }
}
