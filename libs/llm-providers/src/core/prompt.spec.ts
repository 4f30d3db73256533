import { describe, expect, it } from '@jest/globals';
import { COMPARISON_ANSWER_SCHEMA, buildComparisonPrompt } from './prompt.js';

const request = {
  comparison_id: 'c1',
  user_prompt: '  Judge argument quality.  ',
  essay_a: 'First essay.',
  essay_b: 'Second essay.',
};

describe('buildComparisonPrompt', () => {
  it('keeps the shared instructions free of essay text, so they can be cached across items', () => {
    const prompt = buildComparisonPrompt(request, { system_prompt: 'SYS' });
    expect(prompt.system).toBe('SYS');
    expect(prompt.sharedInstructions.startsWith('Judge argument quality.')).toBe(true);
    expect(prompt.sharedInstructions).not.toContain('First essay.');
    const other = buildComparisonPrompt(
      { ...request, essay_a: 'Else', essay_b: 'More' },
      { system_prompt: 'SYS' },
    );
    expect(other.sharedInstructions).toBe(prompt.sharedInstructions);
  });

  it('fences both essays in the item part', () => {
    const { itemText } = buildComparisonPrompt(request, { system_prompt: 'SYS' });
    expect(itemText).toBe('<essay_a>\nFirst essay.\n</essay_a>\n\n<essay_b>\nSecond essay.\n</essay_b>');
  });

  it('describes a closed answer object with all fields required', () => {
    expect(COMPARISON_ANSWER_SCHEMA.required).toEqual(['winner', 'justification', 'confidence']);
    expect(COMPARISON_ANSWER_SCHEMA.additionalProperties).toBe(false);
    expect(COMPARISON_ANSWER_SCHEMA.properties.winner.enum).toEqual(['Essay A', 'Essay B']);
  });
});
