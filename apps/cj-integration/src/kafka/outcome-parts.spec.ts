import { describe, expect, it } from '@jest/globals';
import {
  createEnvelope,
  EVENT_TYPES,
  type CJAssessmentCompletedV1,
  type CJAssessmentRankingsPartV1,
  type CJEssayRankingV1,
  type EventEnvelope,
} from '#contracts';
import { outcomeRecords } from './outcome-parts.js';

/** `n` rankings with realistic ids (UUID-like) and full-precision scores, as the fit produces them. */
function rankings(n: number): CJEssayRankingV1[] {
  return Array.from({ length: n }, (_, i) => ({
    essay_id: `essay-${String(i).padStart(6, '0')}-3f1c2b4e-9c2d-4a1b-8e7f-${(i * 7919).toString(16)}`,
    score: 3 - (6 * i) / n + 0.000123456789,
    se: 0.21 + (i % 17) / 1000,
    rank: i + 1,
    wins: 10 - (i % 11),
    losses: i % 11,
    comparisons: 10,
  }));
}

function outcome(n: number): EventEnvelope<CJAssessmentCompletedV1> {
  return createEnvelope<CJAssessmentCompletedV1>({
    event_type: EVENT_TYPES.assessmentCompleted,
    event_id: 'evt-completed',
    source_service: 'cj-assessment-service',
    correlation_id: 'corr-1',
    now: new Date('2026-11-30T12:00:00Z'),
    data: {
      assessment_id: 'asmt-national',
      rankings: rankings(n),
      ssr: 0.93,
      position_bias: { a_wins: 10, total: 20, share: 0.5 },
      provider: 'mock',
      model: 'mock-judge',
      comparisons_requested: n * 5,
      comparisons_succeeded: n * 5,
      comparisons_failed: 0,
      batches: [],
      cost_usd: null,
      individual_cost_usd: null,
      savings_usd: null,
      duration_ms: 1000,
      correlation_id: 'corr-1',
    },
  });
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('outcomeRecords: a completed outcome as Kafka records under the byte limit', () => {
  it('sends an outcome that fits as the one event it is', () => {
    const envelope = outcome(50);
    expect(outcomeRecords(envelope, 900_000)).toEqual([envelope]);
  });

  it('cuts a 20,000-essay ranking into parts under the limit, then the completed event that counts them', () => {
    const envelope = outcome(20_000);
    expect(bytes(envelope)).toBeGreaterThan(2_500_000); // well over a stock broker's 1 MB
    const records = outcomeRecords(envelope, 900_000);

    for (const record of records) expect(bytes(record)).toBeLessThanOrEqual(900_000);
    const completed = records.at(-1) as EventEnvelope<CJAssessmentCompletedV1>;
    const parts = records.slice(0, -1) as Array<EventEnvelope<CJAssessmentRankingsPartV1>>;
    expect(completed.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(completed.event_id).toBe('evt-completed');
    expect(completed.data.rankings).toEqual([]);
    expect(completed.data.rankings_parts).toEqual({ part_count: parts.length, ranking_count: 20_000 });
    expect(completed.data.ssr).toBe(0.93);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    expect(parts.map((p) => p.event_type)).toEqual(parts.map(() => EVENT_TYPES.assessmentRankingsPart));
    expect(parts.map((p) => p.data.part)).toEqual(parts.map((_, i) => i + 1));
    expect(new Set(parts.map((p) => p.data.part_count))).toEqual(new Set([parts.length]));
    expect(new Set(parts.map((p) => p.event_id)).size).toBe(parts.length);
    // Reassembled in part order, the ranking is exactly the original, in rank order.
    expect(parts.flatMap((p) => p.data.rankings)).toEqual(envelope.data.rankings);
  });

  it('gives a republish the same records and event ids (consumers dedupe on them)', () => {
    const first = outcomeRecords(outcome(5_000), 100_000);
    const again = outcomeRecords(outcome(5_000), 100_000);
    expect(again.map((r) => r.event_id)).toEqual(first.map((r) => r.event_id));
    expect(again).toEqual(first);
  });

  it('fills each part close to the limit (no part count far beyond what the bytes need)', () => {
    const envelope = outcome(5_000);
    const records = outcomeRecords(envelope, 100_000);
    expect(records.length - 1).toBeLessThanOrEqual(Math.ceil(bytes(envelope.data.rankings) / 90_000) + 1);
  });
});
