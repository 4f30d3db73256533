import type { OutboxEntry } from '#batch-store';

/**
 * Bytes a record adds to a produce request besides its key and value (attributes, timestamp and offset deltas,
 * lengths, header count: at most ~25 in Kafka's v2 record format; rounded up so the estimate stays above).
 */
export const RECORD_OVERHEAD_BYTES = 40;
/** The record batch header (61 bytes in v2) plus the produce request's own framing, rounded up. */
export const REQUEST_OVERHEAD_BYTES = 200;

/** An outbox entry with its Kafka value measured. */
export interface SizedEntry {
  entry: OutboxEntry;
  value: string;
  /** Bytes this record adds to a produce request (key + value + record overhead). */
  bytes: number;
}

export type ProduceStep =
  { kind: 'publish'; topic: string; entries: SizedEntry[] } | { kind: 'too_large'; entry: SizedEntry };

export function sizeEntry(entry: OutboxEntry): SizedEntry {
  const value = entry.value;
  const bytes =
    Buffer.byteLength(value, 'utf8') + Buffer.byteLength(entry.key, 'utf8') + RECORD_OVERHEAD_BYTES;
  return { entry, value, bytes };
}

/**
 * Splits entries, in order, into produce requests of one topic each whose estimated size stays within
 * `maxRequestBytes` (kept below the broker's `message.max.bytes`, which bounds one record batch). An entry that
 * does not fit even alone becomes a `too_large` step: it can never be delivered and must not hold up the rest.
 */
export function planProduce(entries: SizedEntry[], maxRequestBytes: number): ProduceStep[] {
  const steps: ProduceStep[] = [];
  let current: { topic: string; entries: SizedEntry[]; bytes: number } | undefined;
  const flush = (): void => {
    if (current && current.entries.length > 0) {
      steps.push({ kind: 'publish', topic: current.topic, entries: current.entries });
    }
    current = undefined;
  };
  for (const sized of entries) {
    const topic = sized.entry.topic;
    if (sized.bytes + REQUEST_OVERHEAD_BYTES > maxRequestBytes) {
      flush();
      steps.push({ kind: 'too_large', entry: sized });
      continue;
    }
    if (!current || current.topic !== topic || current.bytes + sized.bytes > maxRequestBytes) {
      flush();
      current = { topic, entries: [], bytes: REQUEST_OVERHEAD_BYTES };
    }
    current.entries.push(sized);
    current.bytes += sized.bytes;
  }
  flush();
  return steps;
}
