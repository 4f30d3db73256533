import type { TokenUsage } from '#contracts';
import type { ItemCost } from './llm-provider.js';
import { catalogModels, type CatalogPricing } from './model-catalog.js';

/** USD per million tokens (a catalog row's pricing; LLM_PRICES_JSON entries have the same shape). */
export type ModelPrice = CatalogPricing;

/** Prices keyed by model id (aliases included). */
export type PriceTable = Record<string, ModelPrice>;

export const DEFAULT_BATCH_FACTOR = 0.5;

/** Time-to-live of the prompt-cache entries a request writes: Anthropic bills 1-hour writes at 2× input. */
export type CacheWriteTtl = '5m' | '1h';

/** The catalog's list prices by model id and alias (models without a published price are left out). */
export const DEFAULT_PRICES: PriceTable = Object.fromEntries(
  catalogModels().flatMap((model) =>
    model.pricing ? [model.id, ...(model.aliases ?? [])].map((id) => [id, model.pricing!] as const) : [],
  ),
);

/** The price of `model` (exact id or alias): undefined when neither the catalog nor LLM_PRICES_JSON has one. */
export function findPrice(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  return Object.prototype.hasOwnProperty.call(table, model) ? table[model] : undefined;
}

export interface CostOptions {
  batch: boolean;
  /** TTL of the request's cache writes; default 5m. */
  cacheWriteTtl?: CacheWriteTtl;
}

/**
 * Cost of one item. `usage.prompt_tokens` counts every input token, cached ones included; the cache counts are
 * the subsets billed at cache prices. `individual_cost_usd` is the same work at the non-batch price, so batch
 * savings can be reported. A model without a price has an unknown cost: null, never 0.
 */
export function costOf(
  usage: TokenUsage,
  model: string,
  options: CostOptions,
  table: PriceTable = DEFAULT_PRICES,
): ItemCost {
  const price = findPrice(model, table);
  if (!price) return { cost_usd: null, individual_cost_usd: null };
  const cacheRead = usage.cache_read_tokens ?? 0;
  const cacheWrite = usage.cache_write_tokens ?? 0;
  const plainInput = Math.max(0, usage.prompt_tokens - cacheRead - cacheWrite);
  const writePrice =
    options.cacheWriteTtl === '1h'
      ? (price.cache_write_1h ?? price.cache_write ?? price.input)
      : (price.cache_write ?? price.input);
  const perMillion =
    plainInput * price.input +
    cacheRead * (price.cache_read ?? price.input) +
    cacheWrite * writePrice +
    usage.completion_tokens * price.output;
  const individual = perMillion / 1_000_000;
  const factor = options.batch ? (price.batch_factor ?? DEFAULT_BATCH_FACTOR) : 1;
  return { cost_usd: roundUsd(individual * factor), individual_cost_usd: roundUsd(individual) };
}

/** Sums item costs without drifting into float noise; one unknown cost makes the sum unknown (null). */
export function sumCosts(costs: ItemCost[]): ItemCost {
  return costs.reduce<ItemCost>(
    (total, cost) => ({
      cost_usd: addKnown(total.cost_usd, cost.cost_usd),
      individual_cost_usd: addKnown(total.individual_cost_usd, cost.individual_cost_usd),
    }),
    { cost_usd: 0, individual_cost_usd: 0 },
  );
}

function addKnown(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : roundUsd(a + b);
}

function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}
