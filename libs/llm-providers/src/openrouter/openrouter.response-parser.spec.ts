import { toOpenRouterBatchBody, toOpenRouterChatBody } from './openrouter.request-mapper.js';
import {
  normaliseOpenRouterStatus,
  parseOpenRouterBatchResult,
  parseOpenRouterCompletion,
} from './openrouter.response-parser.js';

const answer = { winner: 'Essay B', justification: 'Better evidence.', confidence: 3 };
const completion = {
  model: 'openai/gpt-5-mini',
  choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: JSON.stringify(answer) } }],
  usage: {
    prompt_tokens: 200,
    completion_tokens: 20,
    total_tokens: 220,
    prompt_tokens_details: { cached_tokens: 150, cache_write_tokens: 0 },
  },
};
const prompt = { system: 'S', sharedInstructions: 'SHARED', itemText: 'ESSAYS' };

describe('openrouter request mapping', () => {
  it('asks for JSON object mode and marks a cache breakpoint only for breakpoint-caching routes', () => {
    const anthropic = toOpenRouterChatBody(prompt, {
      model: 'anthropic/claude-sonnet-4.6',
      temperature: 0.7,
      max_tokens: 50,
    });
    // No temperature: Claude through OpenRouter does not apply one (model catalog: unsupported).
    expect(anthropic).toEqual({
      model: 'anthropic/claude-sonnet-4.6',
      messages: [
        { role: 'system', content: expect.stringMatching(/^S\n\n.*JSON/) },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'SHARED', cache_control: { type: 'ephemeral' } },
            { type: 'text', text: 'ESSAYS' },
          ],
        },
      ],
      max_tokens: 50,
      response_format: { type: 'json_object' },
    });
    const openai = toOpenRouterChatBody(prompt, {
      model: 'openai/gpt-5-mini',
      temperature: 0,
      max_tokens: 50,
    });
    expect(openai.messages[1].content).toEqual([
      { type: 'text', text: 'SHARED' },
      { type: 'text', text: 'ESSAYS' },
    ]);
  });

  it('orders endpoint and model before requests', () => {
    expect(Object.keys(toOpenRouterBatchBody('m', []))).toEqual(['endpoint', 'model', 'requests']);
  });
});

describe('openrouter response parsing', () => {
  it('reads the answer, model and cache usage of a completion', () => {
    expect(parseOpenRouterCompletion(completion)).toEqual({
      answer,
      model: 'openai/gpt-5-mini',
      usage: { prompt_tokens: 200, completion_tokens: 20, total_tokens: 220, cache_read_tokens: 150 },
    });
  });

  it('maps filtered, empty and prose answers to typed errors', () => {
    const filtered = { choices: [{ finish_reason: 'content_filter', message: { content: '' } }] };
    expect(() => parseOpenRouterCompletion(filtered)).toThrow(
      expect.objectContaining({ code: 'CONTENT_FILTERED' }),
    );
    expect(() => parseOpenRouterCompletion({ choices: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
    const prose = { choices: [{ message: { content: 'Essay A wins.' } }] };
    expect(() => parseOpenRouterCompletion(prose)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });

  it('turns batch result lines into answers or item errors', () => {
    expect(
      parseOpenRouterBatchResult({
        custom_id: 'x',
        response: { status_code: 200, body: completion },
        error: null,
      }),
    ).toMatchObject({ answer });
    expect(
      parseOpenRouterBatchResult({
        custom_id: 'x',
        response: null,
        error: { message: 'bad', type: 'invalid_request_error' },
      }),
    ).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(
      parseOpenRouterBatchResult({ custom_id: 'x', response: { status_code: 502, body: {} } }),
    ).toMatchObject({ code: 'EXTERNAL_SERVICE_ERROR', status: 502 });
  });

  it('normalises batch statuses', () => {
    expect(
      [
        'validating',
        'in_progress',
        'finalizing',
        'completed',
        'failed',
        'expired',
        'cancelling',
        'cancelled',
      ].map(normaliseOpenRouterStatus),
    ).toEqual([
      'validating',
      'in_progress',
      'finalizing',
      'ended',
      'failed',
      'expired',
      'canceling',
      'canceled',
    ]);
  });
});
