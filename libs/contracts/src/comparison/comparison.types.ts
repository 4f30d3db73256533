export const PROVIDER_NAMES = ['anthropic', 'openai', 'google', 'openrouter', 'mock'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const WINNERS = ['Essay A', 'Essay B'] as const;
export type Winner = (typeof WINNERS)[number];

/** One comparison as callers send it. `user_prompt` is the part shared by an assessment (cacheable). */
export interface ComparisonRequest {
  comparison_id: string;
  user_prompt: string;
  essay_a: string;
  essay_b: string;
  metadata?: Record<string, unknown>;
}

export interface LlmConfigOverrides {
  provider_override?: ProviderName;
  model_override?: string;
  temperature_override?: number;
  max_tokens_override?: number;
  system_prompt_override?: string;
}

/** Every field of LlmConfigOverrides: what two configs are compared on and what a plain copy keeps. */
export const LLM_CONFIG_OVERRIDE_KEYS = [
  'provider_override',
  'model_override',
  'temperature_override',
  'max_tokens_override',
  'system_prompt_override',
] as const satisfies ReadonlyArray<keyof LlmConfigOverrides>;

/**
 * The provider/model/settings of a batch, resolved once at acceptance and stored with it. Every field is set, so
 * it is also a complete set of overrides: passing it to a provider can never pick up a changed default.
 */
export interface ResolvedLlmConfig {
  provider: ProviderName;
  model: string;
  temperature: number;
  max_tokens: number;
  system_prompt: string;
  /**
   * False when the model does not apply a temperature (reasoning models, Claude on SDK 1.x, Gemini 3.5
   * Flash-Lite): `temperature` is then recorded but not sent. Absent in configs stored before it existed.
   */
  temperature_applied?: boolean;
}

/** The judge's structured answer (shared/reference/contracts.md). */
export interface ComparisonAnswer {
  winner: Winner;
  justification: string;
  confidence: number;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  /** Reasoning/thinking tokens, already included in completion_tokens (billed as output). */
  reasoning_tokens?: number;
}
