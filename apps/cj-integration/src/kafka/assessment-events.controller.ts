import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import {
  EVENT_TYPES,
  type EventEnvelope,
  type LLMBatchCompletedV1,
  type LLMComparisonResultV1,
} from '#contracts';
import { CorrelationContext } from '#infra';
import { AssessmentIntake } from '../assessment/assessment-intake.service.js';
import { CjMetrics } from '../assessment/cj-metrics.js';
import { ResultCollector } from '../assessment/result-collector.service.js';
import { SUBSCRIBED_TOPICS } from './cj-topics.js';

/**
 * Kafka entry points: check the envelope, hand the data to a service. A thrown error makes Kafka redeliver the
 * message, so the services are idempotent; bad requests never throw (they become CJAssessmentFailedV1).
 *
 * A request that is not an event envelope at all (not JSON, not an object, no `event_id`) cannot be answered:
 * there is no id a requester could match a failure event with. It is counted in
 * `cj_requests_unanswerable_total{reason}`, logged once with its topic, partition, offset, key and size (never its
 * content) and skipped. It is not copied to a dead-letter topic: the message itself stays in the request topic for
 * the topic's retention, at the logged offset, which is all an operator needs to look at it.
 */
@Controller()
export class AssessmentEventsController {
  private readonly logger = new Logger(AssessmentEventsController.name);

  constructor(
    private readonly intake: AssessmentIntake,
    private readonly collector: ResultCollector,
    private readonly metrics: CjMetrics,
  ) {}

  @EventPattern(SUBSCRIBED_TOPICS.requested)
  async onAssessmentRequested(@Payload() message: unknown, @Ctx() context: unknown): Promise<void> {
    const reason = unanswerable(message);
    if (reason) {
      this.metrics.unanswerable(reason);
      const kafka = context instanceof KafkaContext ? context : undefined;
      const raw = kafka?.getMessage() as { offset?: string; key?: unknown } | undefined;
      this.logger.warn({
        msg: 'assessment request is not an event envelope; skipped (no id to answer to)',
        code: 'CJ_REQUEST_UNANSWERABLE',
        reason,
        topic: SUBSCRIBED_TOPICS.requested,
        partition: kafka?.getPartition(),
        offset: raw?.offset,
        key: typeof raw?.key === 'string' ? raw.key.slice(0, 200) : null,
        bytes: messageBytes(message),
      });
      return;
    }
    const envelope = asRequestEnvelope(message as Record<string, unknown>);
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

export type UnanswerableReason = 'not_json' | 'not_an_object' | 'no_event_id';

/** Why a request message cannot be answered with a failure event, or null when it can. */
function unanswerable(message: unknown): UnanswerableReason | null {
  // Nest's Kafka parser hands over the text when the value is not JSON (or the Kafka message when it is empty).
  if (typeof message === 'string' || Buffer.isBuffer(message)) return 'not_json';
  if (!message || typeof message !== 'object' || Array.isArray(message)) return 'not_an_object';
  const eventId = (message as { event_id?: unknown }).event_id;
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > 256) return 'no_event_id';
  return null;
}

/**
 * An envelope with an event id can be answered; anything else wrong with it (event type, data) is the intake's
 * refusal. A correlation id that is not a short string is replaced by the event id.
 */
function asRequestEnvelope(message: Record<string, unknown>): EventEnvelope {
  const correlation = message.correlation_id;
  const correlationId =
    typeof correlation === 'string' && correlation.length > 0 && correlation.length <= 256
      ? correlation
      : (message.event_id as string);
  return { ...message, correlation_id: correlationId } as unknown as EventEnvelope;
}

function messageBytes(message: unknown): number | null {
  if (typeof message === 'string') return Buffer.byteLength(message);
  if (Buffer.isBuffer(message)) return message.length;
  return null;
}

function asEnvelope(message: unknown): EventEnvelope | null {
  if (!message || typeof message !== 'object') return null;
  const candidate = message as Partial<EventEnvelope>;
  if (typeof candidate.event_id !== 'string' || typeof candidate.event_type !== 'string') return null;
  if (!candidate.data || typeof candidate.data !== 'object') return null;
  return { ...candidate, correlation_id: candidate.correlation_id ?? candidate.event_id } as EventEnvelope;
}
