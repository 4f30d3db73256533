import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { LLMBatchCompletedV1, LLMComparisonResultV1 } from '#contracts';
import { CJ_SETTINGS, STEP_HAND_OFF } from '../cj.tokens.js';
import { StepHandOff } from '../resume/step-hand-off.js';
import type { CjSettings } from '../config/cj-settings.js';
import { AssessmentFinalizer } from './assessment-finalizer.service.js';
import { AssessmentRepository, type AssessmentRecord, type StoredResult } from '#assessment-store';
import {
  currentAttempt,
  successfulResults,
  withAttemptReported,
  withPinnedConfig,
} from './assessment-state.js';
import { BatchStepRunner } from './batch-step-runner.service.js';
import { CjMetrics } from './cj-metrics.js';
import { admitBatchEvent, admitResult, AttemptNotAcceptedYetError } from './result-admission.js';

/**
 * Files per-comparison results under their batch attempt (duplicates by event_id ignored) and, once a batch has
 * reported and all its results are in, hands over to the step runner (retry, follow-up, score or fail).
 */
@Injectable()
export class ResultCollector {
  private readonly logger = new Logger(ResultCollector.name);

  constructor(
    private readonly repository: AssessmentRepository,
    private readonly finalizer: AssessmentFinalizer,
    private readonly steps: BatchStepRunner,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
    private readonly metrics: CjMetrics,
    @Optional() @Inject(STEP_HAND_OFF) private readonly handOff: StepHandOff = StepHandOff.inline(),
  ) {}

  async onComparisonResult(eventId: string, result: LLMComparisonResultV1): Promise<void> {
    const meta = result.request_metadata ?? {};
    const assessmentId = typeof meta.assessment_id === 'string' ? meta.assessment_id : null;
    const attemptId = typeof meta.cj_attempt === 'string' ? meta.cj_attempt : null;
    const pairIndex = typeof meta.pair_index === 'number' ? meta.pair_index : null;
    if (!assessmentId || !attemptId || pairIndex === null) {
      return this.metrics.rejected('comparison_result', 'no_assessment_metadata');
    }
    // Once per result: the shared parsed record, not a fresh read of the whole record (O(essays) each).
    const record = await this.repository.getShared(assessmentId);
    if (!record) return this.metrics.rejected('comparison_result', 'unknown_assessment');
    if (!this.isOpen(record)) return this.metrics.rejected('comparison_result', 'assessment_closed');
    const admission = admitResult(record, attemptId, result.batch_id, pairIndex);
    if (!admission.admitted) {
      if (admission.reason === 'attempt_not_accepted_yet') {
        throw new AttemptNotAcceptedYetError(assessmentId, String(result.batch_id));
      }
      this.metrics.rejected('comparison_result', admission.reason);
      this.logger.warn({
        msg: 'result ignored',
        reason: admission.reason,
        assessment_id: assessmentId,
        batch_id: result.batch_id ?? null,
        pair_index: pairIndex,
      });
      return;
    }

    if (!(await this.checkConfig(record, result.provider, result.model))) return;
    const stored: StoredResult = {
      pair_index: pairIndex,
      winner: result.error_detail ? null : (result.winner ?? null),
      error_code: result.error_detail?.error_code ?? (result.winner ? null : 'INVALID_RESPONSE'),
      provider: result.provider,
      model: result.model,
      cost_estimate: result.cost_estimate,
      ...(result.error_detail || !result.winner
        ? {}
        : { justification: result.justification, confidence: result.confidence }),
    };
    const outcome = await this.repository.recordResult(assessmentId, attemptId, eventId, stored);
    if (outcome !== 'stored') return;
    const attempt = admission.attempt;
    // A batch that reported before all its results were processed continues once the last one is in.
    if (attempt?.reported_count !== null) await this.advanceApart(assessmentId);
  }

  async onBatchCompleted(event: LLMBatchCompletedV1): Promise<void> {
    const assessmentId = event.assessment_id ?? (await this.repository.assessmentForBatch(event.batch_id));
    if (!assessmentId) return this.metrics.rejected('batch_completed', 'unknown_assessment');
    const record = await this.repository.get(assessmentId);
    if (!record) return this.metrics.rejected('batch_completed', 'unknown_assessment');
    if (!this.isOpen(record)) return this.metrics.rejected('batch_completed', 'assessment_closed');
    const admission = admitBatchEvent(record, event.batch_id, event.correlation_id);
    if (!admission.admitted) {
      if (admission.reason === 'attempt_not_accepted_yet') {
        throw new AttemptNotAcceptedYetError(assessmentId, event.batch_id);
      }
      this.metrics.rejected('batch_completed', admission.reason);
      this.logger.warn({
        msg: 'batch event ignored',
        reason: admission.reason,
        assessment_id: assessmentId,
        batch_id: event.batch_id,
      });
      return;
    }
    const attempt = admission.attempt;
    if (event.provider && event.model && !(await this.checkConfig(record, event.provider, event.model)))
      return;
    const results = await this.repository.getResults(assessmentId, attempt.correlation_id);
    const resultCosts = [...results.values()].reduce<number | null>(
      (total, r) => (total === null || r.cost_estimate === null ? null : total + r.cost_estimate),
      0,
    );
    await this.repository.update(assessmentId, (current) =>
      current.batches.find((b) => b.correlation_id === attempt.correlation_id)?.reported_count === null
        ? withAttemptReported(current, attempt.correlation_id, event, resultCosts)
        : null,
    );
    this.logger.log({
      msg: 'batch reported',
      assessment_id: assessmentId,
      batch_id: event.batch_id,
      status: event.status ?? null,
      succeeded: event.successful_comparisons,
      failed: event.failed_comparisons,
    });
    await this.advanceApart(assessmentId);
  }

  /** advance() away from the Kafka handler: it may submit a retry or follow-up batch (HTTP) or score. */
  private advanceApart(assessmentId: string): Promise<void> {
    return this.handOff.run(assessmentId, () => this.advance(assessmentId));
  }

  /** Decides and runs the next step once the newest batch has reported and its results are all stored. */
  async advance(assessmentId: string): Promise<void> {
    const record = await this.repository.get(assessmentId);
    if (!record) return;
    if (record.status === 'finalizing') return this.finalizer.resume(record);
    if (record.status !== 'active') return;
    const attempt = currentAttempt(record);
    if (attempt.reported_count === null) return;
    const stored = await this.repository.countResults(assessmentId, attempt.correlation_id);
    const resultsComplete = stored >= attempt.reported_count;
    const successes = await this.successes(record);
    await this.steps.run(record, successes, resultsComplete);
  }

  async successes(record: AssessmentRecord): Promise<Map<number, StoredResult>> {
    const byAttempt = new Map<string, Map<number, StoredResult>>();
    for (const attempt of record.batches) {
      if (attempt.status === 'completed') {
        byAttempt.set(
          attempt.correlation_id,
          await this.repository.getResults(record.assessment_id, attempt.correlation_id),
        );
      }
    }
    return successfulResults(record, byAttempt);
  }

  private isOpen(record: AssessmentRecord): boolean {
    return record.status === 'active';
  }

  /** One provider/model per assessment: pins the first one seen, fails the assessment on any other. */
  private async checkConfig(
    record: AssessmentRecord,
    provider: LLMComparisonResultV1['provider'],
    model: string,
  ) {
    if (!record.pinned) {
      await this.repository.update(record.assessment_id, (current) =>
        current.pinned ? null : withPinnedConfig(current, provider, model),
      );
      const latest = await this.repository.get(record.assessment_id);
      if (latest?.pinned && (latest.pinned.provider !== provider || latest.pinned.model !== model)) {
        return this.mismatch(record, latest.pinned, { provider, model });
      }
      return true;
    }
    if (record.pinned.provider === provider && record.pinned.model === model) return true;
    return this.mismatch(record, record.pinned, { provider, model });
  }

  private async mismatch(
    record: AssessmentRecord,
    expected: { provider: string; model: string },
    got: { provider: string; model: string },
  ): Promise<false> {
    const successes = await this.successes(record);
    await this.finalizer.fail(
      record.assessment_id,
      'CONFIG_MISMATCH',
      `a result came from ${got.provider}/${got.model}; the assessment runs on ${expected.provider}/${expected.model}`,
      successes.size,
      { expected, got },
    );
    return false;
  }
}
