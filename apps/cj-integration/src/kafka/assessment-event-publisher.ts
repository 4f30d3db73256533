import { Inject, Injectable } from '@nestjs/common';
import {
  createEnvelope,
  EVENT_TYPES,
  stableEventId,
  type CJAssessmentCompletedV1,
  type CJAssessmentFailedV1,
  type EventEnvelope,
} from '#contracts';
import { KafkaEventPublisher } from '#infra';
import { CJ_SETTINGS, CJ_TOPICS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import type { CjTopics } from './cj-topics.js';
import { outcomeRecords } from './outcome-parts.js';

export const CJ_SOURCE_SERVICE = 'cj-assessment-service';

/** Builds and publishes the assessment outcome events (stable event ids: a republish is deduplicable). */
@Injectable()
export class AssessmentEventPublisher {
  constructor(
    private readonly publisher: KafkaEventPublisher,
    @Inject(CJ_TOPICS) private readonly topics: CjTopics,
    @Inject(CJ_SETTINGS) private readonly settings: Pick<CjSettings, 'maxEventBytes'>,
  ) {}

  completedEnvelope(data: CJAssessmentCompletedV1, now = new Date()): EventEnvelope {
    return this.envelope(EVENT_TYPES.assessmentCompleted, data.assessment_id, data.correlation_id, data, now);
  }

  /** `discriminator` separates refusals of different requests that share an assessment id. */
  failedEnvelope(data: CJAssessmentFailedV1, discriminator = '', now = new Date()): EventEnvelope {
    return this.envelope(
      EVENT_TYPES.assessmentFailed,
      data.assessment_id + discriminator,
      data.correlation_id,
      data,
      now,
    );
  }

  /**
   * A completed outcome too large for one record goes out as its ranking parts, then the completed event
   * (outcome-parts.ts); each record in its own produce request, so none is over the broker's limit.
   */
  async publish(envelope: EventEnvelope): Promise<void> {
    const completed = envelope.event_type === EVENT_TYPES.assessmentCompleted;
    const topic = completed ? this.topics.completed : this.topics.failed;
    const key = (envelope.data as { assessment_id: string }).assessment_id;
    const records = completed
      ? outcomeRecords(envelope as EventEnvelope<CJAssessmentCompletedV1>, this.settings.maxEventBytes)
      : [envelope];
    for (const record of records) await this.publisher.publish({ topic, key, envelope: record });
  }

  private envelope(
    type: string,
    idPart: string,
    correlationId: string,
    data: unknown,
    now: Date,
  ): EventEnvelope {
    return createEnvelope({
      event_type: type,
      event_id: stableEventId(idPart, type),
      source_service: CJ_SOURCE_SERVICE,
      correlation_id: correlationId,
      data,
      now,
    });
  }
}
