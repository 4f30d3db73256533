import { Inject, Injectable, Logger } from '@nestjs/common';
import { CJ_SETTINGS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { ComparisonApiError } from '../comparison-api/comparison-api.error.js';
import { AssessmentFinalizer } from './assessment-finalizer.service.js';
import type { AssessmentRecord, StoredResult } from '#assessment-store';
import { BatchSubmitter } from './batch-submitter.service.js';
import { nextStep } from './next-step.js';

/** Runs the decision of `nextStep`: submit a retry / follow-up batch, score, or fail. */
@Injectable()
export class BatchStepRunner {
  private readonly logger = new Logger(BatchStepRunner.name);

  constructor(
    private readonly submitter: BatchSubmitter,
    private readonly finalizer: AssessmentFinalizer,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
  ) {}

  async run(
    record: AssessmentRecord,
    successes: ReadonlyMap<number, StoredResult>,
    resultsComplete: boolean,
  ): Promise<void> {
    const step = nextStep(record, new Set(successes.keys()), resultsComplete, this.settings.failurePolicy);
    switch (step.type) {
      case 'wait':
        return;
      case 'score':
        return this.finalizer.complete(record, successes);
      case 'fail':
        return this.finalizer.fail(record.assessment_id, step.reason, step.message, successes.size);
      case 'submit':
        this.logger.log({
          msg: step.kind === 'main' ? 'retrying the batch as a whole' : 'resubmitting failed comparisons',
          assessment_id: record.assessment_id,
          comparisons: step.pairIndexes?.length ?? record.pair_count,
        });
        return this.submitOrFail(
          record.assessment_id,
          () => this.submitter.startAttempt(record.assessment_id, step.kind, step.pairIndexes),
          successes.size,
        );
    }
  }

  /** A submission the comparison service refuses, or that keeps failing, ends the assessment (no crash loop). */
  async submitOrFail(assessmentId: string, submit: () => Promise<unknown>, succeeded = 0): Promise<void> {
    try {
      await submit();
    } catch (err) {
      if (!(err instanceof ComparisonApiError)) throw err;
      const reason = err.retryable ? 'SUBMISSION_FAILED' : 'SUBMISSION_REFUSED';
      await this.finalizer.fail(assessmentId, reason, err.message, succeeded, {
        error_code: err.code,
        http_status: err.status,
      });
    }
  }
}
