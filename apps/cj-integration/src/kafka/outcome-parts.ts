import {
  createEnvelope,
  EVENT_TYPES,
  stableEventId,
  type CJAssessmentCompletedV1,
  type CJAssessmentRankingsPartV1,
  type CJEssayRankingV1,
  type EventEnvelope,
} from '#contracts';

/** Room left in each record for Kafka's own framing (record headers, key, batch overhead). */
const RECORD_OVERHEAD_BYTES = 1_024;

/**
 * The records one completed outcome goes out as. A ranking of 20,000 essays is ~3 MB of JSON, three times a stock
 * broker's `message.max.bytes` (1 MB), and the broker refuses such a record for good. When the envelope is larger
 * than `maxBytes`, the ranking is cut, in rank order, into CJAssessmentRankingsPartV1 events of at most `maxBytes`
 * each, followed by the completed event with an empty `rankings` and `rankings_parts` (how many parts and essays):
 * the consumer checks its reassembly against it. All records carry the assessment id as
 * their key, so they land on one partition in this order; event ids are stable, so a republish is deduplicable.
 */
export function outcomeRecords(
  envelope: EventEnvelope<CJAssessmentCompletedV1>,
  maxBytes: number,
): EventEnvelope[] {
  if (byteLength(envelope) + RECORD_OVERHEAD_BYTES <= maxBytes) return [envelope];
  const { assessment_id: id, correlation_id: correlationId, rankings } = envelope.data;
  const now = new Date(envelope.event_timestamp);
  const partEnvelope = (part: number, partCount: number, slice: CJEssayRankingV1[]) =>
    createEnvelope<CJAssessmentRankingsPartV1>({
      event_type: EVENT_TYPES.assessmentRankingsPart,
      event_id: stableEventId(id, EVENT_TYPES.assessmentRankingsPart, String(part)),
      source_service: envelope.source_service,
      correlation_id: envelope.correlation_id,
      data: {
        assessment_id: id,
        part,
        part_count: partCount,
        rankings: slice,
        correlation_id: correlationId,
      },
      now,
    });

  // The largest part count a part's framing can show is the ranking's length; its digits bound the framing.
  const framing = byteLength(partEnvelope(rankings.length, rankings.length, [])) + RECORD_OVERHEAD_BYTES;
  const budget = maxBytes - framing;
  const slices: CJEssayRankingV1[][] = [];
  let current: CJEssayRankingV1[] = [];
  let currentBytes = 0;
  for (const ranking of rankings) {
    const bytes = byteLength(ranking) + 1; // and its comma
    if (bytes > budget) {
      throw new RangeError(`one ranking of ${bytes} bytes does not fit an event of ${maxBytes} bytes`);
    }
    if (currentBytes + bytes > budget && current.length > 0) {
      slices.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(ranking);
    currentBytes += bytes;
  }
  if (current.length > 0) slices.push(current);

  const completed: EventEnvelope<CJAssessmentCompletedV1> = {
    ...envelope,
    data: {
      ...envelope.data,
      rankings: [],
      rankings_parts: {
        part_count: slices.length,
        ranking_count: rankings.length,
      },
    },
  };
  if (byteLength(completed) + RECORD_OVERHEAD_BYTES > maxBytes) {
    throw new RangeError(`the outcome without its ranking is still over ${maxBytes} bytes`);
  }
  return [...slices.map((slice, i) => partEnvelope(i + 1, slices.length, slice)), completed];
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
