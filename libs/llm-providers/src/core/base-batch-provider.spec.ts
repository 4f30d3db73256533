import { afterEach, describe, expect, it } from '@jest/globals';
import type { ComparisonRequest } from '#contracts';
import { createTestProviderDeps, makeContractRequests, type TestProviderDeps } from '../../testing/index.js';
import { BaseBatchProvider, type CreatedPart } from './base-batch-provider.js';
import type { ItemAnswer, PartItemResult, PartStatus } from './batch-aggregation.js';
import { ProviderError } from './provider-error.js';

/** Counts how many individual calls run at once; fails items whose essay says "FAIL". */
class IndividualOnlyProvider extends BaseBatchProvider {
  readonly name = 'openrouter' as const;
  inFlight = 0;
  maxInFlight = 0;

  protected async requestComparison(request: ComparisonRequest): Promise<ItemAnswer> {
    return this.call('comparison', async () => {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      this.inFlight -= 1;
      if (request.essay_a.includes('FAIL')) throw new ProviderError('CONTENT_FILTERED', 'blocked');
      return {
        answer: { winner: 'Essay B', justification: 'j', confidence: 2 },
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      };
    });
  }
  protected createPart(): Promise<CreatedPart> {
    throw new Error('batch API must not be used');
  }
  protected fetchPartStatus(): Promise<PartStatus> {
    throw new Error('unused');
  }
  // eslint-disable-next-line require-yield
  protected async *streamPartResults(): AsyncIterable<PartItemResult> {
    throw new Error('unused');
  }
  protected cancelPart(): Promise<void> {
    throw new Error('unused');
  }
}

describe('BaseBatchProvider without the batch API', () => {
  let test: TestProviderDeps;
  afterEach(() => test.close());

  const make = (env: Record<string, string>) => {
    test = createTestProviderDeps({ env: { OPENROUTER_API_KEY: 'k', OPENROUTER_CONCURRENCY: '3', ...env } });
    return new IndividualOnlyProvider(test.deps);
  };

  it('serves a batch with individual calls under the concurrency cap, errors per item, in input order', async () => {
    const provider = make({ OPENROUTER_BATCH_ENABLED: 'false' });
    const requests = makeContractRequests(10, 'ind');
    requests[4] = { ...requests[4], essay_a: 'FAIL this one' };
    const outcome = await provider.generateBatchComparison(requests, {});
    expect(provider.maxInFlight).toBe(3);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(
      requests.filter((_, i) => i !== 4).map((r) => r.comparison_id),
    );
    expect(outcome.errors).toEqual([
      { comparison_id: requests[4].comparison_id, error: expect.any(ProviderError) },
    ]);
    expect(outcome.errors[0].error.code).toBe('CONTENT_FILTERED');
    expect(outcome.responses[0].cost.cost_usd).toBe(outcome.responses[0].cost.individual_cost_usd);
    expect(test.counter.count('openrouter', 'comparison')).toBe(10);
  });

  it('falls back to individual calls when batch processing is off globally', async () => {
    const provider = make({ BATCH_PROCESSING_ENABLED: 'false' });
    expect(provider.supportsBatch()).toBe(false);
    const outcome = await provider.generateBatchComparison(makeContractRequests(2), {});
    expect(outcome.responses).toHaveLength(2);
  });

  it('refuses submitBatch when the batch API is off, and config meant for another provider', async () => {
    const provider = make({ OPENROUTER_BATCH_ENABLED: 'false' });
    const requests = makeContractRequests(1);
    await expect(provider.submitBatch(requests, {}, { batchKey: 'k' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(
      provider.generateComparison(requests[0], { provider_override: 'openai' }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
  });

  it('rejects empty texts before any call', async () => {
    const provider = make({});
    const [request] = makeContractRequests(1);
    await expect(provider.generateComparison({ ...request, essay_b: ' ' }, {})).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(test.counter.count()).toBe(0);
  });
});

/** A batch provider whose one part's results are yielded one by one, scrambled, with a repeat and a stranger. */
class StreamingProvider extends BaseBatchProvider {
  readonly name = 'openrouter' as const;
  yielded = 0;

  protected requestComparison(): Promise<ItemAnswer> {
    throw new Error('unused');
  }
  protected createPart(requests: ComparisonRequest[]): Promise<CreatedPart> {
    return Promise.resolve({ provider_batch_id: `part-${requests[0].comparison_id}` });
  }
  protected fetchPartStatus(): Promise<PartStatus> {
    return Promise.resolve({ state: 'ended', raw_status: 'ended' });
  }
  protected async *streamPartResults(part: { comparison_ids: string[] }): AsyncIterable<PartItemResult> {
    const ids = [...part.comparison_ids].reverse();
    const answer: ItemAnswer = {
      answer: { winner: 'Essay A', justification: 'j', confidence: 3 },
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    for (const [i, id] of ids.entries()) {
      if (i === 1) continue; // never returned: becomes an error
      this.yielded += 1;
      yield { comparison_id: id, answer };
      if (i === 0) yield { comparison_id: id, answer }; // a repeat is ignored
      if (i === 2) yield { comparison_id: 'stranger', answer }; // an id the part never sent
    }
  }
  protected cancelPart(): Promise<void> {
    return Promise.resolve();
  }
}

describe('BaseBatchProvider.collectBatchResultsInChunks', () => {
  let test: TestProviderDeps;
  afterEach(() => test.close());

  it('hands every comparison over exactly once in bounded chunks, reading on only after each chunk is taken', async () => {
    test = createTestProviderDeps({ env: { OPENROUTER_API_KEY: 'k', OPENROUTER_MAX_BATCH_REQUESTS: '10' } });
    const provider = new StreamingProvider(test.deps);
    const requests = makeContractRequests(25, 'chunks');
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'chunks' });
    expect(ref.parts).toHaveLength(3);
    const seen: string[] = [];
    const sizes: number[] = [];
    await provider.collectBatchResultsInChunks(
      ref,
      async (chunk) => {
        const items = chunk.responses.length + chunk.errors.length;
        sizes.push(items);
        // Pull-based: the provider has read at most one item past what was handed over.
        expect(provider.yielded).toBeLessThanOrEqual(seen.length + items + 1);
        seen.push(
          ...chunk.responses.map((r) => r.comparison_id),
          ...chunk.errors.map((e) => e.comparison_id),
        );
      },
      { chunkSize: 4 },
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect([...seen].sort()).toEqual(requests.map((r) => r.comparison_id).sort());
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.errors.map((e) => e.error.code)).toEqual([
      'BATCH_EXPIRED',
      'BATCH_EXPIRED',
      'BATCH_EXPIRED',
    ]);
    expect([...outcome.responses, ...outcome.errors]).toHaveLength(25);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(
      requests
        .map((r) => r.comparison_id)
        .filter((id) => !outcome.errors.some((e) => e.comparison_id === id)),
    );
  });
});
