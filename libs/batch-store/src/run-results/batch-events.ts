import {
  createEnvelope,
  EVENT_TYPES,
  stableEventId,
  type LLMBatchCompletedV1,
  type LLMBatchRequestStartedV1,
} from '#contracts';
import type { BatchRecord, BatchStatus, OutboxMessage, StoredResult } from '../batch.types.js';
import { SOURCE_SERVICE } from './result-mapper.js';

/**
 * The three events of a batch, as outbox messages: all on the batch's callback topic, keyed by batch id (one
 * partition, so their order holds), with ids derived from the batch, so a republished event keeps its id.
 */
function message<T>(
  record: BatchRecord,
  eventType: string,
  eventId: string,
  data: T,
  now: Date,
): OutboxMessage {
  return {
    topic: record.callback_topic,
    key: record.batch_id,
    envelope: createEnvelope({
      event_type: eventType,
      event_id: eventId,
      source_service: SOURCE_SERVICE,
      correlation_id: record.correlation_id,
      data,
      now,
    }),
  };
}

export function startedEvent(record: BatchRecord, now: Date): OutboxMessage {
  const type = EVENT_TYPES.batchRequestStarted;
  const data: LLMBatchRequestStartedV1 = {
    batch_id: record.batch_id,
    assessment_id: record.assessment_id,
    comparison_count: record.comparison_count,
    provider: record.config.provider,
    correlation_id: record.correlation_id,
    model: record.config.model,
    provider_batch_ids: record.provider_ref?.parts.map((p) => p.provider_batch_id) ?? [],
  };
  return message(record, type, stableEventId(record.batch_id, type), data, now);
}

export function resultEvent(record: BatchRecord, stored: StoredResult, now: Date): OutboxMessage {
  const type = EVENT_TYPES.comparisonResult;
  return message(
    record,
    type,
    stableEventId(record.batch_id, stored.comparison_id, type),
    stored.result,
    now,
  );
}

/** `record` must carry the final counts (read after the last results were stored). */
export function completedEvent(record: BatchRecord, status: BatchStatus, now: Date): OutboxMessage {
  const type = EVENT_TYPES.batchCompleted;
  const data: LLMBatchCompletedV1 = {
    batch_id: record.batch_id,
    assessment_id: record.assessment_id,
    successful_comparisons: record.counts.succeeded,
    failed_comparisons: record.counts.failed,
    total_processing_time_ms: Math.max(0, now.getTime() - Date.parse(record.created_at)),
    correlation_id: record.correlation_id,
    status,
    provider: record.config.provider,
    model: record.config.model,
    cost_usd: record.cost_usd,
    individual_cost_usd: record.individual_cost_usd,
  };
  return message(record, type, stableEventId(record.batch_id, type), data, now);
}
