import { createHash, randomUUID } from 'node:crypto';

/** The one envelope every Kafka message is wrapped in (shared/reference/contracts.md). */
export interface EventEnvelope<T = unknown> {
  event_id: string;
  event_type: string;
  event_timestamp: string;
  source_service: string;
  schema_version: number;
  correlation_id: string;
  data: T;
  metadata?: Record<string, unknown>;
}

export interface EnvelopeInput<T> {
  event_type: string;
  source_service: string;
  correlation_id: string;
  data: T;
  /** Pass a stable id (see stableEventId) when the same event may be published again. */
  event_id?: string;
  metadata?: Record<string, unknown>;
  now?: Date;
}

export function createEnvelope<T>(input: EnvelopeInput<T>): EventEnvelope<T> {
  return {
    event_id: input.event_id ?? randomUUID(),
    event_type: input.event_type,
    event_timestamp: (input.now ?? new Date()).toISOString(),
    source_service: input.source_service,
    schema_version: 1,
    correlation_id: input.correlation_id,
    data: input.data,
    ...(input.metadata ? { metadata: input.metadata } : {}),
  };
}

/**
 * A UUID derived from the parts (name-based, SHA-1, RFC 4122 version 5 layout): republishing the same logical
 * event yields the same event_id, so consumers can dedupe on it.
 */
export function stableEventId(...parts: string[]): string {
  const hash = createHash('sha1').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
