import { Inject, Injectable, Logger } from '@nestjs/common';
import { PRIORITY, type CJBatchKind } from '#contracts';
import { ComparisonApiClient } from '../comparison-api/comparison-api.client.js';
import type { BatchComparisonItem, BatchSubmission } from '../comparison-api/comparison-api.types.js';
import { CJ_SETTINGS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { AssessmentRepository, type AssessmentRecord, type BatchAttempt } from '#assessment-store';
import { batchConfig, currentAttempt, withAttempt, withAttemptAccepted } from './assessment-state.js';

/**
 * Sends one batch attempt (all its pairs in ONE request) to the comparison service. The attempt is stored before
 * the call with a deterministic correlation id, so a crash or redelivery resubmits and gets the same batch back.
 */
@Injectable()
export class BatchSubmitter {
  private readonly logger = new Logger(BatchSubmitter.name);

  constructor(
    private readonly repository: AssessmentRepository,
    private readonly api: ComparisonApiClient,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
  ) {}

  /** Appends a new attempt of `kind` (unless the newest attempt already is an unsent one) and submits it. */
  async startAttempt(
    assessmentId: string,
    kind: CJBatchKind,
    pairIndexes: number[] | null,
    round?: number,
  ): Promise<AssessmentRecord> {
    const record = await this.repository.update(assessmentId, (current) => {
      if (current.status !== 'active') return null;
      const last = currentAttempt(current);
      if (last.status === 'submitting' || last.status === 'accepted') return null;
      return withAttempt(current, kind, pairIndexes, round).record;
    });
    if (!record) throw new Error(`assessment ${assessmentId} vanished`);
    return this.submitPending(record);
  }

  /** Submits the newest attempt if it has not been accepted yet (idempotent). Throws ComparisonApiError. */
  async submitPending(record: AssessmentRecord): Promise<AssessmentRecord> {
    const attempt = currentAttempt(record);
    if (record.status !== 'active' || attempt.status !== 'submitting') return record;
    const submission = await this.buildSubmission(record, attempt);
    const accepted = await this.api.submitBatch(submission);
    await this.repository.linkBatch(accepted.batch_id, record.assessment_id, this.settings.retentionSeconds);
    this.logger.log({
      msg: 'batch submitted',
      assessment_id: record.assessment_id,
      batch_id: accepted.batch_id,
      kind: attempt.kind,
      attempt: attempt.attempt,
      comparisons: attempt.comparison_count,
      ...(accepted.upload
        ? { upload_id: accepted.upload.upload_id, upload_parts: accepted.upload.parts }
        : {}),
    });
    const updated = await this.repository.update(record.assessment_id, (current) => {
      const stored = current.batches.find((b) => b.correlation_id === attempt.correlation_id);
      if (!stored || stored.status !== 'submitting') return null;
      return withAttemptAccepted(current, attempt.correlation_id, accepted.batch_id);
    });
    return updated ?? record;
  }

  async buildSubmission(record: AssessmentRecord, attempt: BatchAttempt): Promise<BatchSubmission> {
    const texts = await this.repository.getEssayTexts(record.assessment_id);
    const pairs = await this.repository.getPairs(record.assessment_id);
    const byIndex = new Map(pairs.map((p) => [p.pair_index, p]));
    const indexes = attempt.pair_indexes ?? pairs.map((p) => p.pair_index);
    const essays = new Map<string, string>();
    const comparisons = indexes.map((index): BatchComparisonItem => {
      const pair = byIndex.get(index);
      const essayA = pair && texts.get(pair.essay_a);
      const essayB = pair && texts.get(pair.essay_b);
      if (!pair || essayA === undefined || essayB === undefined) {
        throw new Error(`assessment ${record.assessment_id}: pair ${index} or its essays are missing`);
      }
      essays.set(pair.essay_a, essayA);
      essays.set(pair.essay_b, essayB);
      return {
        comparison_id: `${record.assessment_id}-p${index}`,
        essay_a_id: pair.essay_a,
        essay_b_id: pair.essay_b,
        metadata: {
          assessment_id: record.assessment_id,
          pair_index: index,
          essay_a_id: pair.essay_a,
          essay_b_id: pair.essay_b,
          cj_attempt: attempt.correlation_id,
        },
      };
    });
    return {
      user_prompt: record.user_prompt,
      // Only the essays this attempt's pairs use (a follow-up batch of a few pairs sends a few essays).
      essays: [...essays].map(([essay_id, text]) => ({ essay_id, text })),
      comparisons,
      llm_config_overrides: batchConfig(record),
      correlation_id: attempt.correlation_id,
      callback_topic: this.settings.callbackTopic,
      priority: PRIORITY.cj,
    };
  }
}
