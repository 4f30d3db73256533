import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  EVENT_TYPES,
  type EventEnvelope,
  type LLMBatchCompletedV1,
  type LLMComparisonResultV1,
} from '#contracts';
import { CorrelationContext } from '#infra';
import { AssessmentIntake } from '../assessment/assessment-intake.service.js';
import { ResultCollector } from '../assessment/result-collector.service.js';
import { SUBSCRIBED_TOPICS } from './cj-topics.js';

/**
 * Kafka entry points: check the envelope, hand the data to a service. A thrown error makes Kafka redeliver the
 * message, so the services are idempotent; bad requests never throw (they become CJAssessmentFailedV1).
 */
@Controller()
export class AssessmentEventsController {
  private readonly logger = new Logger(AssessmentEventsController.name);

  constructor(
    private readonly intake: AssessmentIntake,
    private readonly collector: ResultCollector,
  ) {}

  @EventPattern(SUBSCRIBED_TOPICS.requested)
  async onAssessmentRequested(@Payload() message: unknown): Promise<void> {
    const envelope = asEnvelope(message);
    if (!envelope || envelope.event_type !== EVENT_TYPES.assessmentRequested) {
      this.logger.warn({ msg: 'not an assessment request; skipped', topic: SUBSCRIBED_TOPICS.requested });
      return;
    }
    await CorrelationContext.run(envelope.correlation_id, () => this.intake.onRequested(envelope));
  }

  @EventPattern(SUBSCRIBED_TOPICS.callback)
  async onComparisonEvent(@Payload() message: unknown): Promise<void> {
    const envelope = asEnvelope(message);
    if (!envelope) return;
    // Every log line of the handling carries the event's correlation id.
    await CorrelationContext.run(envelope.correlation_id, async () => {
      if (envelope.event_type === EVENT_TYPES.comparisonResult) {
        await this.collector.onComparisonResult(envelope.event_id, envelope.data as LLMComparisonResultV1);
      } else if (envelope.event_type === EVENT_TYPES.batchCompleted) {
        await this.collector.onBatchCompleted(envelope.data as LLMBatchCompletedV1);
      }
    });
  }
}

function asEnvelope(message: unknown): EventEnvelope | null {
  if (!message || typeof message !== 'object') return null;
  const candidate = message as Partial<EventEnvelope>;
  if (typeof candidate.event_id !== 'string' || typeof candidate.event_type !== 'string') return null;
  if (!candidate.data || typeof candidate.data !== 'object') return null;
  return { ...candidate, correlation_id: candidate.correlation_id ?? candidate.event_id } as EventEnvelope;
}
