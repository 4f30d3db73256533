import { Inject, Injectable, Logger } from '@nestjs/common';
import { EVENT_TYPES, type CJFailureReason, type EventEnvelope } from '#contracts';
import { CJ_SETTINGS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { AssessmentEventPublisher } from '../kafka/assessment-event-publisher.js';
import { AssessmentRepository, type AssessmentRecord, type StoredResult } from '#assessment-store';
import { completedOutcome, failedOutcome } from './assessment-outcome.js';
import { withStatus } from './assessment-state.js';

/**
 * Ends an assessment exactly once: the outcome event is decided and stored with the record (active → finalizing,
 * one compare-and-set, so a racing handler or the deadline watch cannot decide a second outcome), then published,
 * then the record turns terminal. A crash in between republishes the stored event (same event_id) on the next try.
 */
@Injectable()
export class AssessmentFinalizer {
  private readonly logger = new Logger(AssessmentFinalizer.name);

  constructor(
    private readonly repository: AssessmentRepository,
    private readonly events: AssessmentEventPublisher,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
  ) {}

  async complete(record: AssessmentRecord, successes: ReadonlyMap<number, StoredResult>): Promise<void> {
    let envelope: EventEnvelope;
    try {
      envelope = this.events.completedEnvelope(
        completedOutcome(
          record,
          await this.repository.getPairs(record.assessment_id),
          successes,
          new Date(),
          this.settings.ridge,
        ),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return this.fail(record.assessment_id, 'SCORING_FAILED', message, successes.size);
    }
    await this.finish(record.assessment_id, envelope);
  }

  async fail(
    assessmentId: string,
    reason: CJFailureReason,
    message: string,
    succeeded: number,
    details?: Record<string, unknown>,
  ): Promise<void> {
    const current = await this.repository.get(assessmentId);
    if (!current) return;
    const envelope = this.events.failedEnvelope(failedOutcome(current, reason, message, succeeded, details));
    await this.finish(assessmentId, envelope);
  }

  /** Publishes a stored outcome again (status 'finalizing' found after a crash or redelivery). */
  async resume(record: AssessmentRecord): Promise<void> {
    if (record.status !== 'finalizing' || !record.outcome) return;
    await this.publishAndClose(record, terminalOf(record));
  }

  private async finish(assessmentId: string, envelope: EventEnvelope): Promise<void> {
    let claimed = false;
    const record = await this.repository.update(assessmentId, (current) => {
      if (current.status !== 'active') return null;
      claimed = true;
      return withStatus(current, 'finalizing', { outcome: envelope });
    });
    if (!record || (!claimed && record.status !== 'finalizing')) return;
    await this.publishAndClose(record, terminalOf(record));
  }

  private async publishAndClose(record: AssessmentRecord, terminal: 'completed' | 'failed'): Promise<void> {
    if (!record.outcome) return;
    await this.events.publish(record.outcome);
    const closed = await this.repository.update(record.assessment_id, (current) =>
      current.status === 'finalizing' ? withStatus(current, terminal) : null,
    );
    if (closed) await this.repository.retire(closed, this.settings.retentionSeconds);
    const data = record.outcome.data as { reason_code?: string; ssr?: number | null };
    this.logger.log({
      msg: `assessment ${terminal}`,
      assessment_id: record.assessment_id,
      ...(terminal === 'failed' ? { reason_code: data.reason_code } : { ssr: data.ssr }),
    });
  }
}

function terminalOf(record: AssessmentRecord): 'completed' | 'failed' {
  return record.outcome?.event_type === EVENT_TYPES.assessmentCompleted ? 'completed' : 'failed';
}
