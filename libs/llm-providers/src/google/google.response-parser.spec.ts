import { ApiError } from '@google/genai';
import { toGoogleProviderError } from './google.errors.js';
import { GEMINI_ANSWER_SCHEMA, toGeminiWireRequest } from './google.request-mapper.js';
import {
  normaliseGeminiState,
  parseGeminiBatchResult,
  parseGeminiResponse,
  parseGeminiResultsFile,
} from './google.response-parser.js';

const answer = { winner: 'Essay A', justification: 'Clearer argument.', confidence: 4 };
const plainResponse = {
  candidates: [
    { content: { role: 'model', parts: [{ text: JSON.stringify(answer) }] }, finishReason: 'STOP' },
  ],
  usageMetadata: {
    promptTokenCount: 120,
    candidatesTokenCount: 30,
    thoughtsTokenCount: 10,
    cachedContentTokenCount: 100,
    totalTokenCount: 160,
  },
};

describe('google request mapping', () => {
  it('derives Gemini’s upper-case schema from the shared answer schema', () => {
    expect(GEMINI_ANSWER_SCHEMA).toEqual({
      type: 'OBJECT',
      properties: {
        winner: { type: 'STRING', enum: ['Essay A', 'Essay B'], description: 'The better essay.' },
        justification: { type: 'STRING', description: expect.any(String) },
        confidence: { type: 'NUMBER', minimum: 1, maximum: 5, description: expect.any(String) },
      },
      propertyOrdering: ['winner', 'justification', 'confidence'],
      required: ['winner', 'justification', 'confidence'],
    });
  });

  it('puts the shared instructions before the essays (implicit cache prefix)', () => {
    const wire = toGeminiWireRequest(
      { system: 'S', sharedInstructions: 'SHARED', itemText: 'ESSAYS' },
      { model: 'gemini-3.1-flash-lite', temperature: 0.7, max_tokens: 99 },
    );
    expect(wire).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'SHARED' }, { text: 'ESSAYS' }] }],
      systemInstruction: { parts: [{ text: 'S' }] },
      generationConfig: {
        temperature: 0.7,
        // The catalog's thinking allowance on top of the answer's 99 tokens, and the judge's thinking level.
        maxOutputTokens: 99 + 2_048,
        thinkingConfig: { thinkingLevel: 'LOW' },
        responseMimeType: 'application/json',
        responseSchema: GEMINI_ANSWER_SCHEMA,
      },
    });
  });
});

describe('google response parsing', () => {
  it('reads text parts and usage (thinking counted as output, cache reads kept)', () => {
    expect(parseGeminiResponse(plainResponse)).toEqual({
      answer,
      usage: {
        prompt_tokens: 120,
        completion_tokens: 40,
        total_tokens: 160,
        cache_read_tokens: 100,
        reasoning_tokens: 10,
      },
    });
  });

  it('maps safety stops to CONTENT_FILTERED and empty candidates to INVALID_RESPONSE', () => {
    expect(() => parseGeminiResponse({ candidates: [{ finishReason: 'SAFETY' }] })).toThrow(
      expect.objectContaining({ code: 'CONTENT_FILTERED' }),
    );
    expect(() => parseGeminiResponse({ promptFeedback: { blockReason: 'OTHER' } })).toThrow(
      expect.objectContaining({ code: 'CONTENT_FILTERED' }),
    );
    expect(() => parseGeminiResponse({ candidates: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
  });

  it('turns per-item rpc errors into typed item errors', () => {
    expect(parseGeminiBatchResult({ error: { code: 8, message: 'quota' } })).toMatchObject({
      code: 'RATE_LIMIT',
    });
    expect(parseGeminiBatchResult({ error: { code: 13, message: 'internal' } })).toMatchObject({
      code: 'EXTERNAL_SERVICE_ERROR',
      retryable: true,
    });
    expect(parseGeminiBatchResult({ key: 'k' })).toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('parses a responses file, skipping broken lines', () => {
    const file = [
      JSON.stringify({ key: 'b_1', response: plainResponse }),
      '{broken',
      '',
      JSON.stringify({ key: 'a_0', error: { code: 3 } }),
    ].join('\n');
    expect(parseGeminiResultsFile(file).map((r) => r.key)).toEqual(['b_1', 'a_0']);
  });

  it('normalises wire and SDK states alike', () => {
    expect(
      [
        'BATCH_STATE_PENDING',
        'JOB_STATE_RUNNING',
        'BATCH_STATE_SUCCEEDED',
        'JOB_STATE_EXPIRED',
        'BATCH_STATE_CANCELLED',
        'JOB_STATE_FAILED',
      ].map(normaliseGeminiState),
    ).toEqual(['validating', 'in_progress', 'ended', 'expired', 'canceled', 'failed']);
  });
});

describe('google error mapping', () => {
  it('reads API_KEY_INVALID (a 400) as AUTHENTICATION_ERROR', () => {
    const body = {
      error: {
        code: 400,
        status: 'INVALID_ARGUMENT',
        message: 'API key not valid.',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      },
    };
    expect(toGoogleProviderError(new ApiError({ status: 400, message: JSON.stringify(body) }))).toMatchObject(
      {
        code: 'AUTHENTICATION_ERROR',
        retryable: false,
      },
    );
  });

  it('takes the wait after a 429 from RetryInfo.retryDelay', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }],
      },
    };
    expect(toGoogleProviderError(new ApiError({ status: 429, message: JSON.stringify(body) }))).toMatchObject(
      {
        code: 'RATE_LIMIT',
        retryAfterMs: 7000,
      },
    );
  });
});
