import {
  EVENT_TYPES,
  type CJAssessmentCompletedV1,
  type CJAssessmentRankingsPartV1,
  type EventEnvelope,
} from '#contracts';
import { spearman } from '#cj-scoring';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { waitFor } from '../../support/wait-for.js';
import { CjHarness } from './support/cj-harness.js';

// A ranking larger than one record (issue 8: a 20,000-essay ranking is ~3 MB, a stock broker takes 1 MB) goes out
// as ranking parts before the completed event, on the real broker. CJ_MAX_EVENT_BYTES is lowered so 120 essays
// need several parts.
describe('CJ outcome larger than one Kafka record (real Redis + Kafka)', () => {
  const harness = new CjHarness();
  const MAX_EVENT_BYTES = 10_000;

  beforeAll(async () => {
    await harness.start({ CJ_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) });
  }, 90_000);

  afterAll(async () => {
    await harness.stop();
  }, 30_000);

  it('publishes the ranking in parts, each under the limit, then the completed event that counts them', async () => {
    const id = `${harness.prefix}-parts`;
    const essays = sampleEssays(120);
    await harness.send(harness.requestEnvelope(sampleRequest(id, essays, { comparisons_per_essay: 6 })));

    const completed = await harness.outcome<CJAssessmentCompletedV1>(id, 60_000);
    expect(completed.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(completed.data.rankings).toEqual([]);
    const partCount = completed.data.rankings_parts!.part_count;
    expect(completed.data.rankings_parts).toEqual({ part_count: partCount, ranking_count: 120 });
    expect(partCount).toBeGreaterThanOrEqual(2);

    // The parts share the completed event's key, so they arrive on its partition before it.
    const events = await waitFor(
      async () => harness.eventsFor(id),
      (all) => all.length >= partCount + 1,
      { timeoutMs: 10_000, intervalMs: 50, what: 'every part of the ranking' },
    );
    const parts = events.filter((e) => e.event_type === EVENT_TYPES.assessmentRankingsPart) as Array<
      EventEnvelope<CJAssessmentRankingsPartV1>
    >;
    expect(parts.map((p) => p.data.part)).toEqual(Array.from({ length: partCount }, (_, i) => i + 1));
    expect(events.indexOf(completed)).toBe(partCount);
    for (const event of events)
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(MAX_EVENT_BYTES);

    // Reassembled, it is the whole ranking in rank order, and it recovers the hidden quality order.
    const ranking = parts.flatMap((p) => p.data.rankings);
    expect(ranking.map((r) => r.rank)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(new Set(ranking.map((r) => r.essay_id))).toEqual(new Set(essays.map((e) => e.essay_id)));
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rho = spearman(
      ranking.map((r) => r.score),
      ranking.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.85);
  }, 90_000);
});
