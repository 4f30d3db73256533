import type { ResolvedLlmConfig } from '#contracts';
import type {
  CacheControlEphemeral,
  MessageCreateParamsNonStreaming,
  Tool,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { BatchCreateParams } from '@anthropic-ai/sdk/resources/messages/batches';
import { judgeSettings } from '../core/model-catalog.js';
import { COMPARISON_ANSWER_SCHEMA, COMPARISON_TOOL_NAME, type ComparisonPrompt } from '../core/prompt.js';

export type AnthropicBatchRequest = BatchCreateParams.Request;

/**
 * Batches may wait hours before they run, so the shared block is cached for an hour there (the docs' advice);
 * individual calls in a burst are served by the 5-minute default.
 */
export type CacheTtl = NonNullable<CacheControlEphemeral['ttl']>;

const TOOL_DESCRIPTION = 'Record which essay is better, why, and how confident you are.';

/**
 * One Messages API request for a comparison. No `temperature`: the Messages API (SDK 1.x) has dropped sampling
 * parameters, so the configured temperature does not apply to Anthropic. The answer comes back through a forced tool whose input schema is
 * the answer schema. Prompt caching: the cache breakpoint sits on the shared-instructions block, so tools +
 * system + shared instructions (identical across an assessment) form the cached prefix; the essays follow in
 * a separate, uncached block.
 */
export function toAnthropicMessageParams(
  prompt: ComparisonPrompt,
  config: Pick<ResolvedLlmConfig, 'model' | 'max_tokens'>,
  cacheTtl: CacheTtl,
): MessageCreateParamsNonStreaming {
  // Adaptive thinking (on by default on Sonnet 5) spends max_tokens too: the catalog's allowance is added.
  const settings = judgeSettings('anthropic', { ...config, temperature: 0 });
  return {
    model: config.model,
    max_tokens: settings.max_output_tokens,
    system: [{ type: 'text', text: prompt.system }],
    tools: [
      {
        name: COMPARISON_TOOL_NAME,
        description: TOOL_DESCRIPTION,
        input_schema: COMPARISON_ANSWER_SCHEMA as unknown as Tool['input_schema'],
      },
    ],
    tool_choice: { type: 'tool', name: COMPARISON_TOOL_NAME },
    messages: [
      {
        role: 'user',
        content: [
          {
            type: 'text',
            text: prompt.sharedInstructions,
            cache_control: cacheTtl === '5m' ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cacheTtl },
          },
          { type: 'text', text: prompt.itemText },
        ],
      },
    ],
  };
}

/** One line of a Message Batch: `custom_id` must match `^[a-zA-Z0-9_-]{1,64}$` (see toCustomId). */
export function toAnthropicBatchRequest(
  customId: string,
  prompt: ComparisonPrompt,
  config: Pick<ResolvedLlmConfig, 'model' | 'max_tokens'>,
): AnthropicBatchRequest {
  return { custom_id: customId, params: toAnthropicMessageParams(prompt, config, '1h') };
}
