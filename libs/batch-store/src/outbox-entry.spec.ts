import { describe, expect, it } from '@jest/globals';
import { outboxEntryOf } from './outbox-entry.js';

const envelope = (data: unknown) => ({
  event_id: '3f1c2a9e-5b7d-5e2f-8a1b-0c9d8e7f6a5b',
  event_type: 'huleedu.llm.comparison.result.v1',
  event_timestamp: '2026-12-01T12:00:00.000Z',
  source_service: 'llm-batch-service',
  schema_version: 1,
  correlation_id: 'corr-1',
  data,
});

describe('outboxEntryOf', () => {
  it('gives the envelope exactly as JSON.stringify writes it, with topic and key, for a stored message', () => {
    const message = {
      topic: 'huleedu.llm.results.v1',
      key: 'b7e0f1a2-0000-4000-8000-000000000001',
      envelope: envelope({
        winner: 'Essay A',
        justification:
          'Quotes "evidence", cites C:\\papers\\a.txt,\nand ends with ,"envelope":{} in its text 😀',
        request_metadata: { nested: [1, 2.5, -0, 1e21, null, true], 'key with "quotes"': 'x' },
      }),
    };
    const raw = JSON.stringify(message);
    const entry = outboxEntryOf(raw);
    expect(entry.raw).toBe(raw);
    expect(entry.topic).toBe(message.topic);
    expect(entry.key).toBe(message.key);
    expect(entry.value).toBe(JSON.stringify(message.envelope));
    expect(entry.message).toEqual(JSON.parse(raw));
  });

  it('reads keys and topics holding escaped quotes and backslashes', () => {
    for (const key of ['a"b', 'ends with a backslash \\', '\\"', 'x\\\\"y', '']) {
      const message = { topic: 't"\\', key, envelope: envelope({ n: 1 }) };
      const entry = outboxEntryOf(JSON.stringify(message));
      expect([entry.topic, entry.key, entry.value]).toEqual([
        message.topic,
        key,
        JSON.stringify(message.envelope),
      ]);
    }
  });

  it('parses text of another shape whole (another field order, extra fields) and serializes its envelope', () => {
    const reordered = { key: 'k', envelope: envelope({ n: 2 }), topic: 't' };
    const extra = { topic: 't', key: 'k', envelope: envelope({ n: 3 }), attempts: 2 };
    for (const message of [reordered, extra]) {
      const entry = outboxEntryOf(JSON.stringify(message));
      expect([entry.topic, entry.key, entry.value]).toEqual(['t', 'k', JSON.stringify(message.envelope)]);
    }
  });

  it('refuses text that is not JSON, as the parse did before', () => {
    expect(() => outboxEntryOf('{"topic":"t","key":')).toThrow(SyntaxError);
    expect(() => outboxEntryOf('not json')).toThrow(SyntaxError);
  });
});
