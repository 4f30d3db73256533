import { Inject, Injectable, Logger } from '@nestjs/common';
import { CJ_SETTINGS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { ComparisonApiError } from '../comparison-api/comparison-api.error.js';
import { AssessmentFinalizer } from './assessment-finalizer.service.js';
import { AssessmentRepository, type AssessmentRecord, type StoredResult } from '#assessment-store';
import { planNextRound } from './adaptive-rounds.js';
import { currentAttempt, withNextRound, withRoundsStopped } from './assessment-state.js';
import { BatchSubmitter } from './batch-submitter.service.js';
import { nextStep } from './next-step.js';

/** Runs the decision of `nextStep`: submit a retry / follow-up batch, the next adaptive round, score, or fail. */
@Injectable()
export class BatchStepRunner {
  private readonly logger = new Logger(BatchStepRunner.name);

  constructor(
    private readonly submitter: BatchSubmitter,
    private readonly finalizer: AssessmentFinalizer,
    private readonly repository: AssessmentRepository,
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
      case 'round':
        return this.nextRound(record, successes);
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
          () => this.submitter.startAttempt(record.assessment_id, step.kind, step.pairIndexes, step.round),
          successes.size,
        );
    }
  }

  /**
   * After an adaptive round: plan the next one from the judgements so far and submit it as ONE batch (same
   * provider/model/config as every batch of the assessment), or stop the rounds and finish. The round's pairs are
   * appended to the design first (once, idempotently), then the record grows by the round and its attempt in one
   * compare-and-set, guarded by the attempt this decision was made after: a concurrent or repeated decision changes
   * nothing.
   */
  private async nextRound(record: AssessmentRecord, successes: ReadonlyMap<number, StoredResult>) {
    const decidedAfter = currentAttempt(record).correlation_id;
    // Only the design as the record knows it: pairs a crashed earlier decision appended are planned again, the same.
    const pairs = (await this.repository.getPairs(record.assessment_id)).filter(
      (p) => p.pair_index < record.pair_count,
    );
    const plan = planNextRound(record, pairs, successes, this.settings.ridge);
    const unchanged = (current: AssessmentRecord) =>
      current.status === 'active' &&
      current.adaptive?.stop_reason === null &&
      currentAttempt(current).correlation_id === decidedAfter;
    if (plan.type === 'stop') {
      const stopped = await this.repository.update(record.assessment_id, (current) =>
        unchanged(current) ? withRoundsStopped(current, plan.figures, plan.reason) : null,
      );
      if (!stopped?.adaptive || stopped.adaptive.stop_reason !== plan.reason) return;
      this.logger.log({
        msg: 'adaptive rounds stopped',
        assessment_id: record.assessment_id,
        reason: plan.reason,
        rounds: stopped.adaptive.rounds.length,
        split_half_reliability: plan.figures.split_half_reliability,
      });
      return this.run(stopped, successes, true);
    }
    await this.repository.appendPairs(record.assessment_id, plan.round.first_pair, plan.pairs);
    const started = await this.repository.update(record.assessment_id, (current) =>
      unchanged(current) ? withNextRound(current, plan.figures, plan.round) : null,
    );
    if (!started || currentAttempt(started).round !== plan.round.round) return;
    this.logger.log({
      msg: 'adaptive round started',
      assessment_id: record.assessment_id,
      round: plan.round.round,
      comparisons: plan.round.pair_count,
      split_half_reliability: plan.figures.split_half_reliability,
    });
    await this.submitOrFail(
      record.assessment_id,
      () => this.submitter.submitPending(started),
      successes.size,
    );
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
