import { ANSWER_TOKENS, estimateCost, PROMPT_OVERHEAD_TOKENS, priceUsage } from './cost-estimate.js';

const pricing = { 'judge-1': { input: 2, output: 10 } };
const config = {
  provider: 'mock' as const,
  model: 'judge-1',
  max_tokens: 1024,
  system_prompt: 's'.repeat(400),
};

describe('estimateCost', () => {
  it('counts ~4 characters per token plus framing and answer tokens, priced at batch and individual rates', () => {
    const quote = estimateCost(
      config,
      [
        { sharedChars: 400, essayChars: 7200 },
        { sharedChars: 400, essayChars: 3200 },
      ],
      { batchApi: true, pricing },
    );
    // system 100 + framing + (7600 / 4 = 1900) and (3600 / 4 = 900) tokens.
    const prompt = 2 * (100 + PROMPT_OVERHEAD_TOKENS) + 1900 + 900;
    expect(quote).toMatchObject({
      comparisons: 2,
      prompt_tokens: prompt,
      completion_tokens: 2 * ANSWER_TOKENS,
      total_tokens: prompt + 2 * ANSWER_TOKENS,
      batch_api: true,
    });
    const individual = (prompt * 2 + 2 * ANSWER_TOKENS * 10) / 1e6;
    expect(quote.individual_cost_usd).toBeCloseTo(individual, 9);
    expect(quote.batch_cost_usd).toBeCloseTo(individual / 2, 9);
    expect(quote.estimated_cost_usd).toBe(quote.batch_cost_usd);
  });

  it('charges individual prices when the batch API is off, caps answers at max_tokens, and has no price for an unknown model', () => {
    const small = estimateCost({ ...config, max_tokens: 50 }, [{ sharedChars: 0, essayChars: 0 }], {
      batchApi: false,
      pricing,
    });
    expect(small.completion_tokens).toBe(50);
    expect(small.estimated_cost_usd).toBe(small.individual_cost_usd);
    const unknown = estimateCost({ ...config, model: 'nobody-knows' }, [{ sharedChars: 4, essayChars: 4 }], {
      batchApi: true,
      pricing,
    });
    expect(unknown).toMatchObject({
      batch_cost_usd: null,
      individual_cost_usd: null,
      estimated_cost_usd: null,
    });
    expect(
      priceUsage({ prompt_tokens: 1e6, completion_tokens: 0, total_tokens: 1e6 }, 'judge-1', false, pricing),
    ).toBe(2);
  });
});
