import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import { judgeSettings } from './model-catalog.js';

/**
 * Rough token count of text: about 4 characters a token for English prose (OpenAI's rule of thumb,
 * help.openai.com "What are tokens and how to count them"). Tokenisers differ between providers and languages,
 * so the estimate is multiplied by TOKEN_ESTIMATE_SAFETY: a part planned under the budget must not be refused by
 * the provider's own count.
 */
export const CHARS_PER_TOKEN = 4;
/** Headroom over the chars/4 estimate (other tokenisers, non-English text, message framing). */
export const TOKEN_ESTIMATE_SAFETY = 1.25;
/** Characters of the fixed framing around every judge request (instructions, answer schema, tool definition). */
const FRAMING_CHARS = 2_000;

/**
 * Tokens one comparison puts in a provider's batch queue: its input (system prompt, task, both essays) plus the
 * output it may produce (the output limit actually sent: `max_tokens` plus the model's reasoning allowance from
 * the catalog, as the request mappers send it). OpenAI counts a batch's tokens
 * against the model's enqueued-token limit at validation (platform.openai.com/docs/guides/rate-limits, "Batch
 * queue limits"; `token_limit_exceeded`), so the output allowance is counted too, to stay on the safe side.
 */
export function estimateRequestTokens(request: ComparisonRequest, config: ResolvedLlmConfig): number {
  const chars =
    config.system_prompt.length +
    request.user_prompt.length +
    request.essay_a.length +
    request.essay_b.length +
    FRAMING_CHARS;
  const output = judgeSettings(config.provider, config).max_output_tokens;
  return Math.ceil((chars / CHARS_PER_TOKEN) * TOKEN_ESTIMATE_SAFETY) + output;
}
