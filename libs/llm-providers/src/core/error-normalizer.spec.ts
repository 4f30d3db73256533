import { describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { errorFromHttpStatus, normalizeProviderError, parseRetryAfter } from './error-normalizer.js';
import { ProviderError } from './provider-error.js';

const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${status}`), { status, headers: new Headers(headers) });

describe('normalizeProviderError', () => {
  it.each([
    [400, 'INVALID_REQUEST', false],
    [401, 'AUTHENTICATION_ERROR', false],
    [403, 'AUTHENTICATION_ERROR', false],
    [404, 'INVALID_REQUEST', false],
    [408, 'TIMEOUT', true],
    [409, 'CONFLICT', true],
    [422, 'INVALID_REQUEST', false],
    [429, 'RATE_LIMIT', true],
    [500, 'EXTERNAL_SERVICE_ERROR', true],
    [502, 'EXTERNAL_SERVICE_ERROR', true],
    [503, 'EXTERNAL_SERVICE_ERROR', true],
    [529, 'EXTERNAL_SERVICE_ERROR', true],
  ])('maps HTTP %i to %s (retryable %s)', (status, code, retryable) => {
    const error = normalizeProviderError(httpError(status), 'openai');
    expect(error).toMatchObject({ code, retryable, status, provider: 'openai' });
  });

  it('reads the official SDKs’ APIError (status + Headers)', () => {
    const anthropic = Anthropic.APIError.generate(
      429,
      { type: 'error' },
      'slow down',
      new Headers({ 'retry-after': '7' }),
    );
    expect(normalizeProviderError(anthropic, 'anthropic')).toMatchObject({
      code: 'RATE_LIMIT',
      retryAfterMs: 7_000,
    });
    const openai = OpenAI.APIError.generate(401, { message: 'bad key' }, 'bad key', new Headers());
    expect(normalizeProviderError(openai, 'openai')).toMatchObject({
      code: 'AUTHENTICATION_ERROR',
      retryable: false,
    });
  });

  it.each([
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'fetch failed',
      new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) }),
    ],
    ['SDK connection error', new OpenAI.APIConnectionError({ message: 'Connection error.' })],
  ])('maps %s to CONNECTION_ERROR', (_case, err) => {
    expect(normalizeProviderError(err, 'google')).toMatchObject({
      code: 'CONNECTION_ERROR',
      retryable: true,
    });
  });

  it.each([
    ['AbortError', Object.assign(new Error('aborted'), { name: 'AbortError' })],
    ['TimeoutError', new DOMException('timed out', 'TimeoutError')],
    ['SDK timeout', new Anthropic.APIConnectionTimeoutError()],
    ['ETIMEDOUT', Object.assign(new Error('t'), { code: 'ETIMEDOUT' })],
  ])('maps %s to TIMEOUT', (_case, err) => {
    expect(normalizeProviderError(err, 'anthropic')).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('passes ProviderErrors through and wraps anything else as a retryable external error', () => {
    const original = new ProviderError('INVALID_RESPONSE', 'bad');
    expect(normalizeProviderError(original, 'mock')).toBe(original);
    expect(normalizeProviderError('weird', 'mock')).toMatchObject({
      code: 'EXTERNAL_SERVICE_ERROR',
      retryable: true,
    });
  });
});

describe('errorFromHttpStatus / parseRetryAfter', () => {
  it('prefers retry-after-ms over Retry-After', () => {
    const error = errorFromHttpStatus(
      'openrouter',
      429,
      { 'Retry-After': '9', 'retry-after-ms': '1500' },
      'slow',
    );
    expect(error.retryAfterMs).toBe(1_500);
  });

  it('parses Retry-After as seconds or an HTTP date, and ignores garbage', () => {
    const now = Date.parse('2026-11-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '3' }, now)).toBe(3_000);
    expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Nov 2026 00:00:10 GMT' }, now)).toBe(10_000);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('reads Retry-After on 503 too', () => {
    expect(errorFromHttpStatus('google', 503, { 'retry-after': '2' }, 'busy')).toMatchObject({
      code: 'EXTERNAL_SERVICE_ERROR',
      retryAfterMs: 2_000,
    });
  });
});
