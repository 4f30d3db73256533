import { describe, expect, it } from '@jest/globals';
import { outboxEntryOf, type OutboxEntry } from '#batch-store';
import { planProduce, REQUEST_OVERHEAD_BYTES, sizeEntry } from './produce-plan.js';

/** An outbox entry whose envelope carries a justification of `chars` characters (a real judge writes 200–1,500). */
function entry(id: string, topic = 't', chars = 1_500): OutboxEntry {
  const message = {
    topic,
    key: 'batch-1',
    envelope: { event_id: id, data: { justification: 'x'.repeat(chars) } } as never,
  };
  return outboxEntryOf(JSON.stringify(message));
}

const ids = (step: { kind: string; entries?: Array<{ entry: OutboxEntry }> }) =>
  step.entries?.map((e) => e.entry.message.envelope.event_id);

describe('planProduce', () => {
  it('cuts 1,000 events of ~1.5 KB into requests that each stay under the byte limit, in order', () => {
    const sized = Array.from({ length: 1_000 }, (_, i) => sizeEntry(entry(`e${i}`)));
    const steps = planProduce(sized, 100_000);
    expect(steps.length).toBeGreaterThan(15);
    for (const step of steps) {
      expect(step.kind).toBe('publish');
      if (step.kind !== 'publish') continue;
      const bytes = step.entries.reduce((sum, e) => sum + e.bytes, REQUEST_OVERHEAD_BYTES);
      expect(bytes).toBeLessThanOrEqual(100_000);
    }
    expect(steps.flatMap(ids)).toEqual(sized.map((s) => s.entry.message.envelope.event_id));
  });

  it('counts UTF-8 bytes, not characters', () => {
    const ascii = sizeEntry(entry('a', 't', 1_000));
    const message = {
      topic: 't',
      key: 'batch-1',
      envelope: { event_id: 'b', data: { j: 'é'.repeat(1_000) } },
    };
    const accented = sizeEntry(outboxEntryOf(JSON.stringify(message)));
    expect(accented.bytes - ascii.bytes).toBeGreaterThan(900);
  });

  it('makes an event that does not fit alone its own too_large step and keeps the rest flowing', () => {
    const sized = [entry('a'), entry('huge', 't', 50_000), entry('b')].map(sizeEntry);
    const steps = planProduce(sized, 10_000);
    expect(steps.map((s) => s.kind)).toEqual(['publish', 'too_large', 'publish']);
    expect(
      steps.map((s) => (s.kind === 'too_large' ? s.entry.entry.message.envelope.event_id : ids(s))),
    ).toEqual([['a'], 'huge', ['b']]);
  });

  it('never mixes topics in one request and keeps their order', () => {
    const sized = [entry('1', 'a'), entry('2', 'a'), entry('3', 'b'), entry('4', 'a')].map(sizeEntry);
    const steps = planProduce(sized, 1_000_000);
    expect(steps.map((s) => (s.kind === 'publish' ? [s.topic, ids(s)] : null))).toEqual([
      ['a', ['1', '2']],
      ['b', ['3']],
      ['a', ['4']],
    ]);
  });
});
