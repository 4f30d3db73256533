import type { CostQuote, ResolvedLlmConfig, TokenUsage } from '#contracts';
import { costOf, findPrice, type PriceTable } from '#llm-providers';

/**
 * Token estimate without a tokenizer: ~4 characters per token is the providers' own rule of thumb for English
 * text. Overhead per comparison: the answer guidance, the essay fences and the message framing.
 */
export const CHARS_PER_TOKEN = 4;
export const PROMPT_OVERHEAD_TOKENS = 120;
/** The structured answer: a justification of at most 500 characters plus the JSON around it. */
export const ANSWER_TOKENS = 160;
export const ESTIMATE_METHOD =
  `~${CHARS_PER_TOKEN} characters per token of system prompt, shared prompt and both essays, ` +
  `+${PROMPT_OVERHEAD_TOKENS} tokens of framing per comparison; ${ANSWER_TOKENS} answer tokens ` +
  '(capped by max_tokens); no prompt-cache discount (an upper bound where the provider caches)';

/** The characters one comparison sends: its shared part (assignment, criteria) and the two essays. */
export interface ComparisonSize {
  sharedChars: number;
  essayChars: number;
}

export function tokensOf(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * The single place a price is applied to estimated usage (the model catalog's prices through the provider
 * library's pricing): null when the model has no known price.
 */
export function priceUsage(
  usage: TokenUsage,
  model: string,
  batch: boolean,
  pricing: PriceTable,
): number | null {
  if (!findPrice(model, pricing)) return null;
  return costOf(usage, model, { batch }, pricing).cost_usd;
}

/** Quote for `comparisons` under `config`: tokens from the text sizes, cost at batch and individual prices. */
export function estimateCost(
  config: Pick<ResolvedLlmConfig, 'provider' | 'model' | 'max_tokens' | 'system_prompt'>,
  comparisons: Iterable<ComparisonSize>,
  options: { batchApi: boolean; pricing: PriceTable },
): CostQuote {
  const systemTokens = tokensOf(config.system_prompt.length);
  const answerTokens = Math.min(ANSWER_TOKENS, config.max_tokens);
  let count = 0;
  let promptTokens = 0;
  for (const size of comparisons) {
    count++;
    promptTokens += systemTokens + PROMPT_OVERHEAD_TOKENS + tokensOf(size.sharedChars + size.essayChars);
  }
  const completionTokens = count * answerTokens;
  const usage: TokenUsage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const batch = priceUsage(usage, config.model, true, options.pricing);
  const individual = priceUsage(usage, config.model, false, options.pricing);
  return {
    provider: config.provider,
    model: config.model,
    comparisons: count,
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: usage.total_tokens,
    batch_cost_usd: batch,
    individual_cost_usd: individual,
    batch_api: options.batchApi,
    estimated_cost_usd: options.batchApi ? batch : individual,
    method: ESTIMATE_METHOD,
  };
}
