import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import type {
  MessageBatch,
  MessageBatchIndividualResponse,
} from '@anthropic-ai/sdk/resources/messages/batches';
import {
  parseAnthropicMessage,
  parseAnthropicResultLine,
  toNormalisedState,
  toStatusCounts,
  toTokenUsage,
} from './anthropic.response-parser.js';

function message(overrides: Partial<Message> = {}): Message {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      {
        type: 'tool_use',
        id: 'toolu_01',
        name: 'comparison_result',
        input: { winner: 'Essay B', justification: 'Clearer argument.', confidence: 4 },
      },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: {
      input_tokens: 100,
      output_tokens: 30,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 900,
    },
    ...overrides,
  } as Message;
}

describe('parseAnthropicMessage', () => {
  it('reads the answer from the forced tool call and counts cached input as prompt tokens', () => {
    const parsed = parseAnthropicMessage(message());
    expect(parsed.answer).toEqual({ winner: 'Essay B', justification: 'Clearer argument.', confidence: 4 });
    expect(parsed.model).toBe('claude-sonnet-4-5-20250929');
    expect(parsed.usage).toEqual({
      prompt_tokens: 1000,
      completion_tokens: 30,
      total_tokens: 1030,
      cache_read_tokens: 900,
      cache_write_tokens: 0,
    });
  });

  it('rejects a message without the tool call as INVALID_RESPONSE', () => {
    const textOnly = message({
      content: [{ type: 'text', text: 'Essay A', citations: null }] as Message['content'],
    });
    expect(() => parseAnthropicMessage(textOnly)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });

  it('rejects an answer outside the schema as INVALID_RESPONSE for anthropic', () => {
    const bad = message({
      content: [
        { type: 'tool_use', id: 't', name: 'comparison_result', input: { winner: 'Essay C' } },
      ] as Message['content'],
    });
    expect(() => parseAnthropicMessage(bad)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE', provider: 'anthropic' }),
    );
  });

  it('reports a refusal as CONTENT_FILTERED', () => {
    expect(() => parseAnthropicMessage(message({ content: [], stop_reason: 'refusal' }))).toThrow(
      expect.objectContaining({ code: 'CONTENT_FILTERED' }),
    );
  });
});

describe('parseAnthropicResultLine', () => {
  const line = (result: unknown) => ({ custom_id: 'c_0', result }) as MessageBatchIndividualResponse;

  it('parses a succeeded line', () => {
    const outcome = parseAnthropicResultLine(line({ type: 'succeeded', message: message() }));
    expect(outcome).toMatchObject({ customId: 'c_0', ok: true, parsed: { answer: { winner: 'Essay B' } } });
  });

  it.each([
    ['invalid_request_error', 'INVALID_REQUEST', false],
    ['overloaded_error', 'EXTERNAL_SERVICE_ERROR', true],
    ['rate_limit_error', 'RATE_LIMIT', true],
  ])('maps an errored line of type %s to %s', (type, code, retryable) => {
    const outcome = parseAnthropicResultLine(
      line({ type: 'errored', error: { type: 'error', error: { type, message: 'nope' }, request_id: null } }),
    );
    expect(outcome).toMatchObject({ ok: false, error: { code, retryable, message: 'nope' } });
  });

  it('maps expired and canceled lines to BATCH_EXPIRED and CANCELED', () => {
    expect(parseAnthropicResultLine(line({ type: 'expired' }))).toMatchObject({
      ok: false,
      error: { code: 'BATCH_EXPIRED' },
    });
    expect(parseAnthropicResultLine(line({ type: 'canceled' }))).toMatchObject({
      ok: false,
      error: { code: 'CANCELED' },
    });
  });

  it('turns a malformed tool answer into that item’s INVALID_RESPONSE', () => {
    const bad = message({
      content: [{ type: 'tool_use', id: 't', name: 'comparison_result', input: 'x' }] as Message['content'],
    });
    expect(parseAnthropicResultLine(line({ type: 'succeeded', message: bad }))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_RESPONSE' },
    });
  });
});

describe('batch status mapping', () => {
  const counts = { processing: 0, succeeded: 3, errored: 1, canceled: 0, expired: 0 };
  const batch = (fields: Partial<MessageBatch>) =>
    ({
      processing_status: 'ended',
      request_counts: counts,
      cancel_initiated_at: null,
      ...fields,
    }) as MessageBatch;

  it('maps processing_status and how the batch ended', () => {
    expect(toNormalisedState(batch({ processing_status: 'in_progress' }))).toBe('in_progress');
    expect(toNormalisedState(batch({ processing_status: 'canceling' }))).toBe('canceling');
    expect(toNormalisedState(batch({}))).toBe('ended');
    expect(toNormalisedState(batch({ request_counts: { ...counts, expired: 2 } }))).toBe('expired');
    expect(toNormalisedState(batch({ cancel_initiated_at: '2026-11-02T10:00:00Z' }))).toBe('canceled');
  });

  it('sums request_counts into a total', () => {
    expect(toStatusCounts({ ...counts, processing: 2, expired: 1 })).toEqual({
      total: 7,
      succeeded: 3,
      failed: 1,
      processing: 2,
      expired: 1,
      canceled: 0,
    });
  });

  it('treats missing cache fields as zero', () => {
    expect(toTokenUsage({ input_tokens: 5, output_tokens: 2 })).toMatchObject({
      prompt_tokens: 5,
      total_tokens: 7,
    });
  });
});
