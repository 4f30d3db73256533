import type { Batch } from 'openai/resources/batches';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import {
  batchFailure,
  parseBatchOutputLine,
  parseChatCompletion,
  parseJsonlLines,
  toNormalisedState,
  toStatusCounts,
  type OpenAIBatchOutputLine,
} from './openai.response-parser.js';

function completion(
  content: string | null,
  extra: Partial<ChatCompletion.Choice['message']> = {},
): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_790_000_000,
    model: 'gpt-4.1-mini-2025-04-14',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...extra },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: 1200,
      completion_tokens: 40,
      total_tokens: 1240,
      prompt_tokens_details: { cached_tokens: 1024 },
    },
  };
}

const answer = JSON.stringify({ winner: 'Essay A', justification: 'Better structure.', confidence: 3 });

describe('parseChatCompletion', () => {
  it('parses the JSON answer and reports cached tokens as cache reads', () => {
    expect(parseChatCompletion(completion(answer))).toEqual({
      answer: { winner: 'Essay A', justification: 'Better structure.', confidence: 3 },
      model: 'gpt-4.1-mini-2025-04-14',
      usage: { prompt_tokens: 1200, completion_tokens: 40, total_tokens: 1240, cache_read_tokens: 1024 },
    });
  });

  it('rejects malformed JSON as INVALID_RESPONSE from openai', () => {
    expect(() => parseChatCompletion(completion('{"winner": "Essay C"'))).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE', provider: 'openai' }),
    );
  });

  it('reports a refusal as CONTENT_FILTERED', () => {
    expect(() => parseChatCompletion(completion(null, { refusal: 'no' }))).toThrow(
      expect.objectContaining({ code: 'CONTENT_FILTERED' }),
    );
  });
});

describe('parseBatchOutputLine', () => {
  const line = (fields: Partial<OpenAIBatchOutputLine>): OpenAIBatchOutputLine => ({
    id: 'batch_req_1',
    custom_id: 'c_0',
    response: null,
    error: null,
    ...fields,
  });

  it('parses a 200 line', () => {
    const outcome = parseBatchOutputLine(
      line({ response: { status_code: 200, request_id: 'req_1', body: completion(answer) } }),
    );
    expect(outcome).toMatchObject({ customId: 'c_0', ok: true, parsed: { answer: { winner: 'Essay A' } } });
  });

  it('turns a non-200 response into a typed item error', () => {
    const body = {
      error: { message: 'bad request', type: 'invalid_request_error', param: null, code: null },
    };
    const outcome = parseBatchOutputLine(line({ response: { status_code: 400, request_id: 'req_2', body } }));
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST', status: 400, message: 'bad request' },
    });
    const server = parseBatchOutputLine(line({ response: { status_code: 500, request_id: 'r', body: {} } }));
    expect(server).toMatchObject({ ok: false, error: { code: 'EXTERNAL_SERVICE_ERROR', retryable: true } });
  });

  it('maps batch_expired / batch_cancelled error lines', () => {
    expect(parseBatchOutputLine(line({ error: { code: 'batch_expired', message: 'late' } }))).toMatchObject({
      ok: false,
      error: { code: 'BATCH_EXPIRED' },
    });
    expect(parseBatchOutputLine(line({ error: { code: 'batch_cancelled', message: 'x' } }))).toMatchObject({
      ok: false,
      error: { code: 'CANCELED' },
    });
  });

  it('turns a malformed answer into that item’s INVALID_RESPONSE', () => {
    const outcome = parseBatchOutputLine(
      line({ response: { status_code: 200, request_id: 'r', body: completion('nope') } }),
    );
    expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_RESPONSE' } });
  });

  it('splits JSONL, skipping blank lines', () => {
    expect(parseJsonlLines('{"custom_id":"a"}\n\n{"custom_id":"b"}\n').map((l) => l.custom_id)).toEqual([
      'a',
      'b',
    ]);
    expect(() => parseJsonlLines('{oops')).toThrow(expect.objectContaining({ code: 'INVALID_RESPONSE' }));
  });
});

describe('batch status mapping', () => {
  it.each([
    ['validating', 'validating'],
    ['in_progress', 'in_progress'],
    ['finalizing', 'finalizing'],
    ['completed', 'ended'],
    ['expired', 'expired'],
    ['failed', 'failed'],
    ['cancelling', 'canceling'],
    ['cancelled', 'canceled'],
  ] as const)('%s → %s', (status, state) => {
    expect(toNormalisedState(status)).toBe(state);
  });

  it('derives expired and processing counts from total/completed/failed', () => {
    const counts = { total: 10, completed: 6, failed: 1 };
    expect(toStatusCounts({ status: 'expired', request_counts: counts }, 10)).toMatchObject({
      expired: 3,
      processing: 0,
    });
    expect(toStatusCounts({ status: 'in_progress', request_counts: counts }, 10)).toMatchObject({
      processing: 3,
    });
    expect(
      toStatusCounts({ status: 'failed', request_counts: { total: 0, completed: 0, failed: 0 } }, 4),
    ).toMatchObject({
      total: 4,
      failed: 4,
    });
  });

  it('summarises errors.data of a failed batch as INVALID_REQUEST', () => {
    const batch = {
      id: 'batch_1',
      errors: { object: 'list', data: [{ code: 'duplicate_custom_id', message: 'dup', line: 3 }] },
    };
    const error = batchFailure(batch as Pick<Batch, 'id' | 'errors'>);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('line 3: dup');
  });
});
