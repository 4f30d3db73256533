import type { TokenUsage } from '#contracts';
import type { ItemCost } from './llm-provider.js';

/** USD per million tokens. Cache prices default to the input price when a provider has no separate rate. */
export interface ModelPrice {
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
  /** Fraction of the price paid for batch traffic (every provider here gives 50% off). */
  batch_factor?: number;
}

export type PriceTable = Record<string, ModelPrice>;

export const DEFAULT_BATCH_FACTOR = 0.5;

/** List prices of each provider's default model (2026-11); override with LLM_PRICES_JSON. */
export const DEFAULT_PRICES: PriceTable = {
  'claude-sonnet-4-6': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 },
  'gpt-5-mini': { input: 0.25, output: 2, cache_read: 0.025 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cache_read: 0.1 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cache_read: 0.03 },
  'anthropic/claude-sonnet-4.5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'mock-judge-1': { input: 1, output: 4, cache_read: 0.1, cache_write: 1.25 },
};

/**
 * Exact model name first, then the longest table key the model starts with, so dated snapshots
 * (`claude-sonnet-4-5-20250929`) use their family's price.
 */
export function findPrice(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  if (table[model]) return table[model];
  const prefix = Object.keys(table)
    .filter((key) => model.startsWith(key))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? table[prefix] : undefined;
}

/**
 * Cost of one item. `usage.prompt_tokens` counts every input token, cached ones included; the cache counts are
 * the subsets billed at cache prices. `individual_cost_usd` is the same work at the non-batch price, so batch
 * savings can be reported. An unknown model costs 0 (unknown, not free: callers may flag it).
 */
export function costOf(
  usage: TokenUsage,
  model: string,
  options: { batch: boolean },
  table: PriceTable = DEFAULT_PRICES,
): ItemCost {
  const price = findPrice(model, table);
  if (!price) return { cost_usd: 0, individual_cost_usd: 0 };
  const cacheRead = usage.cache_read_tokens ?? 0;
  const cacheWrite = usage.cache_write_tokens ?? 0;
  const plainInput = Math.max(0, usage.prompt_tokens - cacheRead - cacheWrite);
  const perMillion =
    plainInput * price.input +
    cacheRead * (price.cache_read ?? price.input) +
    cacheWrite * (price.cache_write ?? price.input) +
    usage.completion_tokens * price.output;
  const individual = perMillion / 1_000_000;
  const factor = options.batch ? (price.batch_factor ?? DEFAULT_BATCH_FACTOR) : 1;
  return { cost_usd: roundUsd(individual * factor), individual_cost_usd: roundUsd(individual) };
}

/** Sums item costs without drifting into float noise. */
export function sumCosts(costs: ItemCost[]): ItemCost {
  return costs.reduce(
    (total, cost) => ({
      cost_usd: roundUsd(total.cost_usd + cost.cost_usd),
      individual_cost_usd: roundUsd(total.individual_cost_usd + cost.individual_cost_usd),
    }),
    { cost_usd: 0, individual_cost_usd: 0 },
  );
}

function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
