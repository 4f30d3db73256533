import { finishedFromPayload, parseTerminalMessage } from './terminal-message.js';

const record = {
  batch_id: 'b-1',
  tenant_id: 't-1',
  kind: 'single',
  mode: 'individual',
  status: 'in_progress',
  comparison_count: 1,
  created_at: '2026-01-01T00:00:00.000Z',
};
const result = { index: 0, comparison_id: 'c-1', result: { winner: 'Essay A' } };
const payload = (fields: Record<string, string>, results: string[] = [JSON.stringify(result)]) =>
  JSON.stringify({ fields, results });
const fields = {
  record: JSON.stringify(record),
  status: 'completed',
  rev: '3',
  succeeded: '1',
  failed: '0',
  cost: '0.002',
  icost: '0.002',
};

describe('terminal notification messages', () => {
  it('splits the batch id from the payload, and takes a bare id as a notification without one', () => {
    expect(parseTerminalMessage('b-1')).toEqual({ batchId: 'b-1' });
    expect(parseTerminalMessage('b-1 {"fields":{}}')).toEqual({ batchId: 'b-1', payload: '{"fields":{}}' });
  });

  it('decodes the record as the hash holds it (status and counters beside the JSON) with its results', () => {
    const finished = finishedFromPayload(payload(fields), 1);
    expect(finished?.record).toMatchObject({
      batch_id: 'b-1',
      status: 'completed',
      counts: { succeeded: 1, failed: 0, pending: 0 },
      cost_usd: 0.002,
      individual_cost_usd: 0.002,
      cancel_requested: false,
    });
    expect(finished?.results).toEqual([result]);
  });

  it('gives nothing for a missing, malformed, non-terminal or incomplete payload (the waiter reads instead)', () => {
    expect(finishedFromPayload(undefined, 1)).toBeNull();
    expect(finishedFromPayload('{"fields"', 1)).toBeNull();
    expect(finishedFromPayload('{}', 1)).toBeNull();
    expect(finishedFromPayload(payload({ ...fields, status: 'in_progress' }), 1)).toBeNull();
    expect(finishedFromPayload(payload(fields, []), 1)).toBeNull();
    expect(finishedFromPayload(payload(fields, ['{bad']), 1)).toBeNull();
  });
});
