import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { createEnvelope, EVENT_TYPES, stableEventId, type CJAssessmentRequestedV1 } from '#contracts';
import { KafkaEventPublisher } from '#infra';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';

export const API_SOURCE_SERVICE = 'llm-batch-api';

export type AssessmentRequestEnvelope = ReturnType<AssessmentRequestPublisher['envelope']>;

/**
 * Hands an accepted REST assessment to cj-integration the way internal producers do: CJAssessmentRequestedV1 on
 * the requested topic (keyed by assessment id). The event id is derived from the id and the request hash, so a
 * republish of the same request is the same event.
 */
@Injectable()
export class AssessmentRequestPublisher {
  constructor(
    private readonly kafka: KafkaEventPublisher,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** The envelope as it will be published (its size is checked before anything is stored). */
  envelope(data: CJAssessmentRequestedV1, requestHash: string, correlationId: string, tenantId: string) {
    return createEnvelope({
      event_type: EVENT_TYPES.assessmentRequested,
      event_id: stableEventId(data.assessment_id, requestHash),
      source_service: API_SOURCE_SERVICE,
      correlation_id: correlationId,
      data,
      metadata: { tenant_id: tenantId },
    });
  }

  async publish(envelope: AssessmentRequestEnvelope): Promise<void> {
    try {
      await this.kafka.publish({
        topic: this.settings.assessmentRequestedTopic,
        key: envelope.data.assessment_id,
        envelope,
      });
    } catch (err) {
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'CONNECTION_ERROR',
        'The assessment could not be handed to the assessment service (Kafka unavailable); nothing was stored',
        { details: { cause: err instanceof Error ? err.message : String(err) }, retryAfterSeconds: 5 },
      );
    }
  }
}
