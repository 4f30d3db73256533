import { describe, expect, it } from '@jest/globals';
import { costOf, findPrice, sumCosts } from './pricing.js';

describe('costOf', () => {
  const usage = { prompt_tokens: 1_000_000, completion_tokens: 100_000, total_tokens: 1_100_000 };

  it('prices input and output per million tokens', () => {
    // claude-sonnet-4-6: $3 in, $15 out
    expect(costOf(usage, 'claude-sonnet-4-6', { batch: false })).toEqual({
      cost_usd: 4.5,
      individual_cost_usd: 4.5,
    });
  });

  it('halves the batch price and reports the individual price beside it', () => {
    expect(costOf(usage, 'claude-sonnet-4-6', { batch: true })).toEqual({
      cost_usd: 2.25,
      individual_cost_usd: 4.5,
    });
  });

  it('bills cached input at cache prices, cache writes at the rate of the TTL used', () => {
    const cached = { ...usage, cache_read_tokens: 600_000, cache_write_tokens: 200_000 };
    // 5m: 200k plain × 3 + 600k × 0.3 + 200k × 3.75 + 100k × 15 = 0.6 + 0.18 + 0.75 + 1.5
    expect(costOf(cached, 'claude-sonnet-4-6', { batch: false }).cost_usd).toBeCloseTo(3.03, 9);
    // 1h (Anthropic batches): the write costs 2× input = $6 → 0.6 + 0.18 + 1.2 + 1.5
    expect(costOf(cached, 'claude-sonnet-4-6', { batch: false, cacheWriteTtl: '1h' }).cost_usd).toBeCloseTo(
      3.48,
      9,
    );
  });

  it('prices a dated snapshot as its model, and takes a custom table when given', () => {
    expect(findPrice('gpt-5.4-mini-2026-03-17')).toEqual(findPrice('gpt-5.4-mini'));
    expect(costOf(usage, 'x', { batch: true }, { x: { input: 1, output: 10, batch_factor: 0.6 } })).toEqual({
      cost_usd: 1.2,
      individual_cost_usd: 2,
    });
  });

  it('reports an unknown cost (null, never 0) for a model without a price', () => {
    expect(costOf(usage, 'unknown-model', { batch: false })).toEqual({
      cost_usd: null,
      individual_cost_usd: null,
    });
    // A prefix of a priced id is not its price: gpt-5 is priced, gpt-5-turbo-unlisted is not.
    expect(costOf(usage, 'gpt-5-turbo-unlisted', { batch: false }).cost_usd).toBeNull();
  });

  it('sums costs; one unknown cost makes the sum unknown', () => {
    const one = costOf(usage, 'gpt-5.4-mini', { batch: true });
    expect(sumCosts([one, one, one]).cost_usd).toBeCloseTo(one.cost_usd! * 3, 9);
    const unknown = costOf(usage, 'unknown-model', { batch: true });
    expect(sumCosts([one, unknown])).toEqual({ cost_usd: null, individual_cost_usd: null });
  });
});
