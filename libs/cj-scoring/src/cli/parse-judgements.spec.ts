import { CjScoringError } from '../errors/cj-scoring-error.js';
import { parseJudgementsJson } from './parse-judgements.js';

function failure(text: string): CjScoringError {
  try {
    parseJudgementsJson(text, 'file.json');
  } catch (error) {
    if (error instanceof CjScoringError) return error;
    throw error;
  }
  throw new Error('expected a CjScoringError');
}

describe('parseJudgementsJson', () => {
  it('reads judgements and lists essays in order of first appearance', () => {
    const parsed = parseJudgementsJson(
      JSON.stringify([
        { essay_a: 'x', essay_b: 'y', winner: 'Essay B', justification: 'ignored' },
        { essay_a: 'z', essay_b: 'x', winner: 'Essay A' },
      ]),
    );
    expect(parsed.essayIds).toEqual(['x', 'y', 'z']);
    expect(parsed.judgements).toEqual([
      { essay_a: 'x', essay_b: 'y', winner: 'Essay B' },
      { essay_a: 'z', essay_b: 'x', winner: 'Essay A' },
    ]);
  });

  it('names bad JSON and a non-array file', () => {
    expect(failure('{oops')).toMatchObject({ code: 'INVALID_INPUT_FILE' });
    expect(failure('{oops').message).toContain('file.json is not valid JSON');
    expect(failure('{"a": 1}').message).toContain('must hold a JSON array');
  });

  it.each([
    [[null], 0, undefined, 'entry 0 is not an object'],
    [[{ essay_b: 'y', winner: 'Essay A' }], 0, 'essay_a', 'entry 0: essay_a is missing'],
    [
      [{ essay_a: 'x', essay_b: 7, winner: 'Essay A' }],
      0,
      'essay_b',
      'entry 0: essay_b must be a non-empty string',
    ],
    [[{ essay_a: 'x', essay_b: 'x', winner: 'Essay A' }], 0, 'essay_b', 'is the same essay as essay_a'],
    [
      [
        { essay_a: 'x', essay_b: 'y', winner: 'Essay A' },
        { essay_a: 'x', essay_b: 'y', winner: 'x' },
      ],
      1,
      'winner',
      'entry 1: winner must be "Essay A" or "Essay B", got "x"',
    ],
    [[{ essay_a: 'x', essay_b: 'y' }], 0, 'winner', 'entry 0: winner is missing'],
  ])('reports entry index and field: %j', (entries, index, field, message) => {
    const error = failure(JSON.stringify(entries));
    expect(error.code).toBe('INVALID_JUDGEMENT');
    expect(error.details).toEqual(field === undefined ? { index } : { index, field });
    expect(error.message).toContain(message);
  });
});
