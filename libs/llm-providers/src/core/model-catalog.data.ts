import type { CatalogModel } from './model-catalog.js';

/**
 * The known models, one row per (provider, model id), as published on 2026-11-30. Prices are USD per million
 * tokens at the standard (non-batch) rate; `batch_factor` is the share paid for batch traffic. `retires_on` is the
 * provider's shutdown date (YYYY-MM-DD, UTC): from that day the model is refused. Tests read this table; do not
 * copy dates elsewhere. Sources:
 * - Anthropic: node_modules/@anthropic-ai/sdk/internal/data/deprecated-models.js (claude-sonnet-4-5
 *   "November 30th, 2026", claude-opus-4-5 "January 22nd, 2027"); platform.claude.com/docs/en/about-claude/pricing
 *   (5-minute and 1-hour cache-write columns); platform.claude.com/docs/*\/models/sonnet-4-6|sonnet-5|sonnet-5-5/
 *   overview (context, max output, "Legacy"/"Latest", Sonnet 5 rejects non-default sampling parameters, Sonnet 5.5
 *   answers forced tool use with an error). SDK 1.x message params carry no temperature at all.
 * - OpenAI: developers.openai.com/api/docs/deprecations (gpt-5, gpt-5-mini, gpt-5-nano shut down 2026-12-11;
 *   gpt-4o-mini and gpt-4.1-mini 2027-01-14); openai SDK 6.49 `ChatModel` (dated snapshots such as
 *   gpt-5.4-mini-2026-03-17); gpt-5.4-mini list price $0.75 / $4.50, 400K context, 128K output, reasoning effort
 *   none|low|medium|high|xhigh (openrouter.ai/openai/gpt-5.4-mini, vercel.com/ai-gateway/models/openai/gpt-5.4-mini).
 * - Gemini: ai.google.dev/gemini-api/docs/deprecations (gemini-2.5-flash: sources disagree between 2026-06-17 and
 *   2026-12-01; the later, read 2026-11-10, is kept); Gemini 3.1 Flash-Lite GA at $0.25 / $1.50, cache $0.025,
 *   1,048,576 context, 65,536 output (ai.google.dev pricing as quoted by modelpedia.dev and cloudprice.net);
 *   Gemini 3.5 Flash-Lite ignores custom temperature and defaults to minimal thinking
 *   (docs.cloud.google.com/.../models/gemini/3-5-flash-lite); its price was not found in a primary source, so
 *   its cost is unknown until LLM_PRICES_JSON sets one. Gemini 2.5 Flash thinks by default, up to 8,192 tokens
 *   (python-genai#782).
 * - OpenRouter: the upstream provider's dates and prices; `usage.cost` in a response is the billed figure.
 */
export const MODEL_CATALOG_ROWS: readonly CatalogModel[] = [
  // ---- Anthropic (no temperature in the SDK 1.x Messages API; batches cache the shared prefix for 1 hour) ----
  {
    provider: 'anthropic',
    id: 'claude-sonnet-4-6',
    pricing: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, cache_write_1h: 6 },
    temperature: 'unsupported',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 1_000_000,
    max_output_tokens: 128_000,
  },
  {
    provider: 'anthropic',
    id: 'claude-sonnet-4-5',
    aliases: ['claude-sonnet-4-5-20250929'],
    pricing: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, cache_write_1h: 6 },
    temperature: 'unsupported',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 200_000,
    max_output_tokens: 64_000,
    retires_on: '2026-11-30',
    replacement: 'claude-sonnet-4-6',
  },
  {
    provider: 'anthropic',
    id: 'claude-sonnet-5',
    pricing: { input: 2, output: 10, cache_read: 0.2, cache_write: 2.5, cache_write_1h: 4 },
    temperature: 'unsupported',
    reasoning: { kind: 'anthropic_adaptive', allowance: 2_048 },
    forced_tool: true,
    context_window: 1_000_000,
    max_output_tokens: 128_000,
  },
  {
    provider: 'anthropic',
    id: 'claude-haiku-4-5',
    aliases: ['claude-haiku-4-5-20251001'],
    pricing: { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25, cache_write_1h: 2 },
    temperature: 'unsupported',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 200_000,
    max_output_tokens: 64_000,
  },
  {
    provider: 'anthropic',
    id: 'claude-opus-4-5',
    aliases: ['claude-opus-4-5-20251101'],
    pricing: { input: 5, output: 25, cache_read: 0.5, cache_write: 6.25, cache_write_1h: 10 },
    temperature: 'unsupported',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 200_000,
    max_output_tokens: 64_000,
    retires_on: '2027-01-22',
    replacement: 'claude-opus-4-8',
  },
  // ---- OpenAI (answers name the dated snapshot; reasoning models take no temperature) ----
  {
    provider: 'openai',
    id: 'gpt-5.4-mini',
    aliases: ['gpt-5.4-mini-2026-03-17'],
    pricing: { input: 0.75, output: 4.5, cache_read: 0.075 },
    temperature: 'rejected',
    reasoning: { kind: 'openai_effort', judge_effort: 'low', allowance: 2_048 },
    forced_tool: true,
    context_window: 400_000,
    max_output_tokens: 128_000,
  },
  {
    provider: 'openai',
    id: 'gpt-5-mini',
    aliases: ['gpt-5-mini-2025-08-07'],
    pricing: { input: 0.25, output: 2, cache_read: 0.025 },
    temperature: 'rejected',
    reasoning: { kind: 'openai_effort', judge_effort: 'low', allowance: 2_048 },
    forced_tool: true,
    context_window: 400_000,
    max_output_tokens: 128_000,
    retires_on: '2026-12-11',
    replacement: 'gpt-5.4-mini',
  },
  {
    provider: 'openai',
    id: 'gpt-5',
    aliases: ['gpt-5-2025-08-07'],
    pricing: { input: 1.25, output: 10, cache_read: 0.125 },
    temperature: 'rejected',
    reasoning: { kind: 'openai_effort', judge_effort: 'low', allowance: 2_048 },
    forced_tool: true,
    context_window: 400_000,
    max_output_tokens: 128_000,
    retires_on: '2026-12-11',
    replacement: 'gpt-5.4',
  },
  {
    provider: 'openai',
    id: 'gpt-4.1-mini',
    aliases: ['gpt-4.1-mini-2025-04-14'],
    pricing: { input: 0.4, output: 1.6, cache_read: 0.1 },
    temperature: 'accepted',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 1_047_576,
    max_output_tokens: 32_768,
    retires_on: '2027-01-14',
    replacement: 'gpt-5.4-mini',
  },
  {
    provider: 'openai',
    id: 'gpt-4o-mini',
    aliases: ['gpt-4o-mini-2024-07-18'],
    pricing: { input: 0.15, output: 0.6, cache_read: 0.075 },
    temperature: 'accepted',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 128_000,
    max_output_tokens: 16_384,
    retires_on: '2027-01-14',
    replacement: 'gpt-5.4-mini',
  },
  // ---- Gemini (modelVersion may differ from the requested alias; thinking tokens are billed as output) ----
  {
    provider: 'google',
    id: 'gemini-3.1-flash-lite',
    pricing: { input: 0.25, output: 1.5, cache_read: 0.025 },
    temperature: 'accepted',
    reasoning: { kind: 'gemini_level', judge_level: 'low', allowance: 2_048 },
    forced_tool: true,
    context_window: 1_048_576,
    max_output_tokens: 65_536,
  },
  {
    provider: 'google',
    id: 'gemini-3.5-flash-lite',
    temperature: 'ignored',
    reasoning: { kind: 'gemini_level', judge_level: 'low', allowance: 2_048 },
    forced_tool: true,
    context_window: 1_048_576,
    max_output_tokens: 65_536,
  },
  {
    provider: 'google',
    id: 'gemini-2.5-flash',
    pricing: { input: 0.3, output: 2.5, cache_read: 0.03 },
    temperature: 'accepted',
    reasoning: { kind: 'gemini_budget', judge_budget: 1_024, allowance: 1_024 },
    forced_tool: true,
    context_window: 1_048_576,
    max_output_tokens: 65_536,
    retires_on: '2026-12-01',
    replacement: 'gemini-3.1-flash-lite',
  },
  // ---- OpenRouter (model ids are `<vendor>/<model>`; dates and prices follow the upstream provider) ----
  {
    provider: 'openrouter',
    id: 'anthropic/claude-sonnet-4.6',
    pricing: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
    temperature: 'unsupported',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 1_000_000,
    max_output_tokens: 128_000,
  },
  {
    provider: 'openrouter',
    id: 'anthropic/claude-sonnet-4.5',
    pricing: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
    temperature: 'unsupported',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 200_000,
    max_output_tokens: 64_000,
    retires_on: '2026-11-30',
    replacement: 'anthropic/claude-sonnet-4.6',
  },
  {
    provider: 'openrouter',
    id: 'openai/gpt-5.4-mini',
    pricing: { input: 0.75, output: 4.5, cache_read: 0.075 },
    temperature: 'rejected',
    reasoning: { kind: 'openai_effort', judge_effort: 'low', allowance: 2_048 },
    forced_tool: true,
    context_window: 400_000,
    max_output_tokens: 128_000,
  },
  {
    provider: 'openrouter',
    id: 'google/gemini-3.1-flash-lite',
    pricing: { input: 0.25, output: 1.5, cache_read: 0.025 },
    temperature: 'accepted',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 1_048_576,
    max_output_tokens: 65_536,
  },
  // ---- Mock (no network; prices are nominal so cost reporting can be exercised) ----
  {
    provider: 'mock',
    id: 'mock-judge-1',
    pricing: { input: 1, output: 4, cache_read: 0.1, cache_write: 1.25 },
    temperature: 'accepted',
    reasoning: { kind: 'none' },
    forced_tool: true,
    context_window: 1_000_000,
    max_output_tokens: 200_000,
  },
];
