import { COMPARISON_ANSWER_SCHEMA, COMPARISON_TOOL_NAME, type ComparisonPrompt } from '../core/prompt.js';
import { toAnthropicBatchRequest, toAnthropicMessageParams } from './anthropic.request-mapper.js';

const prompt: ComparisonPrompt = {
  system: 'You are an assessor.',
  sharedInstructions: 'Judge the argument.',
  itemText: '<essay_a>\nA\n</essay_a>\n\n<essay_b>\nB\n</essay_b>',
};
const config = { model: 'claude-sonnet-4-5', max_tokens: 512 };

describe('toAnthropicMessageParams', () => {
  it('forces the comparison tool whose input schema is the answer schema', () => {
    const params = toAnthropicMessageParams(prompt, config, '5m');
    expect(params.tool_choice).toEqual({ type: 'tool', name: COMPARISON_TOOL_NAME });
    expect(params.tools).toEqual([
      expect.objectContaining({ name: COMPARISON_TOOL_NAME, input_schema: COMPARISON_ANSWER_SCHEMA }),
    ]);
    expect(params).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 512 });
    expect(params.system).toEqual([{ type: 'text', text: 'You are an assessor.' }]);
  });

  it('puts the cache breakpoint on the shared block and leaves the essays uncached after it', () => {
    const params = toAnthropicMessageParams(prompt, config, '5m');
    expect(params.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Judge the argument.', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: prompt.itemText },
        ],
      },
    ]);
  });
});

describe('toAnthropicBatchRequest', () => {
  it('uses the 1-hour cache TTL and keeps the custom id', () => {
    const line = toAnthropicBatchRequest('cmp-1_0', prompt, config);
    expect(line.custom_id).toBe('cmp-1_0');
    const content = line.params.messages[0].content as Array<{ cache_control?: unknown }>;
    expect(content[0].cache_control).toEqual({ type: 'ephemeral', ttl: '1h' });
    expect(content[1].cache_control).toBeUndefined();
  });
});
