import { describe, expect, it } from '@jest/globals';
import { parseComparisonAnswer } from './answer-parser.js';
import { ProviderError } from './provider-error.js';

describe('parseComparisonAnswer', () => {
  it('accepts an object from a tool call', () => {
    expect(parseComparisonAnswer({ winner: 'Essay B', justification: ' Clearer. ', confidence: 4 })).toEqual({
      winner: 'Essay B',
      justification: 'Clearer.',
      confidence: 4,
    });
  });

  it('accepts JSON text, also inside a Markdown fence, and normalises winner case', () => {
    const text = '```json\n{"winner": "essay a", "justification": "Better argued.", "confidence": 3.5}\n```';
    expect(parseComparisonAnswer(text)).toEqual({
      winner: 'Essay A',
      justification: 'Better argued.',
      confidence: 3.5,
    });
  });

  it('truncates the justification to 500 characters', () => {
    const answer = parseComparisonAnswer({
      winner: 'Essay A',
      justification: 'x'.repeat(900),
      confidence: 2,
    });
    expect(Array.from(answer.justification)).toHaveLength(500);
    expect(answer.justification.endsWith('…')).toBe(true);
  });

  it.each([
    ['not JSON', 'Essay A is better'],
    ['an array', '[]'],
    ['null', null],
    ['a missing winner', { justification: 'x', confidence: 3 }],
    ['a third option', { winner: 'Both', justification: 'x', confidence: 3 }],
    ['a missing justification', { winner: 'Essay A', confidence: 3 }],
    ['an empty justification', { winner: 'Essay A', justification: '  ', confidence: 3 }],
    ['a string confidence', { winner: 'Essay A', justification: 'x', confidence: '4' }],
    ['confidence 0', { winner: 'Essay A', justification: 'x', confidence: 0 }],
    ['confidence 6', { winner: 'Essay A', justification: 'x', confidence: 6 }],
    ['a missing confidence', { winner: 'Essay A', justification: 'x' }],
  ])('rejects %s as INVALID_RESPONSE', (_case, raw) => {
    let caught: unknown;
    try {
      parseComparisonAnswer(raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect((caught as ProviderError).code).toBe('INVALID_RESPONSE');
    expect((caught as ProviderError).retryable).toBe(false);
  });
});
