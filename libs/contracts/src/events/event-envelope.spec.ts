import { createEnvelope, stableEventId } from '#contracts';

describe('event envelope', () => {
  it('carries every envelope field', () => {
    const env = createEnvelope({
      event_type: 'X',
      source_service: 'svc',
      correlation_id: 'c1',
      data: { a: 1 },
      now: new Date('2026-01-02T03:04:05Z'),
    });
    expect(env).toMatchObject({
      event_type: 'X',
      source_service: 'svc',
      correlation_id: 'c1',
      schema_version: 1,
      event_timestamp: '2026-01-02T03:04:05.000Z',
      data: { a: 1 },
    });
    expect(env.event_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('derives the same UUID for the same parts and another for other parts', () => {
    const a = stableEventId('batch-1', 'cmp-1', 'LLMComparisonResultV1');
    expect(stableEventId('batch-1', 'cmp-1', 'LLMComparisonResultV1')).toBe(a);
    expect(stableEventId('batch-1', 'cmp-2', 'LLMComparisonResultV1')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
