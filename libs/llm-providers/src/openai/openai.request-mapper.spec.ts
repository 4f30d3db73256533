import { COMPARISON_ANSWER_SCHEMA, type ComparisonPrompt } from '../core/prompt.js';
import { acceptsTemperature, toBatchLine, toChatCompletionParams, toJsonl } from './openai.request-mapper.js';

const prompt: ComparisonPrompt = {
  system: 'You are an assessor.',
  sharedInstructions: 'Judge the argument.',
  itemText: '<essay_a>\nA\n</essay_a>\n\n<essay_b>\nB\n</essay_b>',
};
const config = { model: 'gpt-4.1-mini', temperature: 0.7, max_tokens: 512 };

describe('toChatCompletionParams', () => {
  it('asks for a strict json_schema answer named comparison', () => {
    const params = toChatCompletionParams(prompt, config);
    expect(params.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'comparison', schema: COMPARISON_ANSWER_SCHEMA, strict: true },
    });
    expect(params).toMatchObject({ model: 'gpt-4.1-mini', temperature: 0.7, max_completion_tokens: 512 });
  });

  it('leads with the shared prefix (system, then shared instructions) so OpenAI can cache it', () => {
    expect(toChatCompletionParams(prompt, config).messages).toEqual([
      { role: 'system', content: 'You are an assessor.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Judge the argument.' },
          { type: 'text', text: prompt.itemText },
        ],
      },
    ]);
  });

  it('leaves temperature out for reasoning models, which reject it', () => {
    expect(acceptsTemperature('gpt-5-mini')).toBe(false);
    expect(acceptsTemperature('o4-mini')).toBe(false);
    expect(toChatCompletionParams(prompt, { ...config, model: 'gpt-5-mini' })).not.toHaveProperty(
      'temperature',
    );
  });
});

describe('batch lines', () => {
  it('builds POST /v1/chat/completions lines, one JSON object per line', () => {
    const lines = [toBatchLine('a_0', prompt, config), toBatchLine('b_1', prompt, config)];
    expect(lines[0]).toMatchObject({ custom_id: 'a_0', method: 'POST', url: '/v1/chat/completions' });
    const jsonl = toJsonl(lines);
    expect(jsonl.endsWith('\n')).toBe(true);
    expect(
      jsonl
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).custom_id),
    ).toEqual(['a_0', 'b_1']);
  });
});
