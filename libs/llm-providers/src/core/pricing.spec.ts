import { describe, expect, it } from '@jest/globals';
import { costOf, findPrice, sumCosts } from './pricing.js';

describe('costOf', () => {
  const usage = { prompt_tokens: 1_000_000, completion_tokens: 100_000, total_tokens: 1_100_000 };

  it('prices input and output per million tokens', () => {
    // claude-sonnet-4-5: $3 in, $15 out
    expect(costOf(usage, 'claude-sonnet-4-5', { batch: false })).toEqual({
      cost_usd: 4.5,
      individual_cost_usd: 4.5,
    });
  });

  it('halves the batch price and reports the individual price beside it', () => {
    expect(costOf(usage, 'claude-sonnet-4-5', { batch: true })).toEqual({
      cost_usd: 2.25,
      individual_cost_usd: 4.5,
    });
  });

  it('bills cached input at cache prices', () => {
    const cached = { ...usage, cache_read_tokens: 600_000, cache_write_tokens: 200_000 };
    // 200k plain × 3 + 600k × 0.3 + 200k × 3.75 + 100k × 15 = 0.6 + 0.18 + 0.75 + 1.5
    expect(costOf(cached, 'claude-sonnet-4-5', { batch: false }).cost_usd).toBeCloseTo(3.03, 9);
  });

  it('uses the family price for dated snapshots and a custom table when given', () => {
    expect(findPrice('claude-sonnet-4-5-20250929')).toEqual(findPrice('claude-sonnet-4-5'));
    expect(costOf(usage, 'x', { batch: true }, { x: { input: 1, output: 10, batch_factor: 0.6 } })).toEqual({
      cost_usd: 1.2,
      individual_cost_usd: 2,
    });
  });

  it('reports 0 for a model without a price', () => {
    expect(costOf(usage, 'unknown-model', { batch: false })).toEqual({ cost_usd: 0, individual_cost_usd: 0 });
  });

  it('sums costs', () => {
    const one = costOf(usage, 'gpt-5-mini', { batch: true });
    expect(sumCosts([one, one, one]).cost_usd).toBeCloseTo(one.cost_usd * 3, 9);
  });
});
