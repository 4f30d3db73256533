import { describe, expect, it } from '@jest/globals';
import { planBatchParts } from './chunking.js';
import { ProviderError } from './provider-error.js';

const items = (sizes: number[]) => sizes.map((size, i) => ({ id: i, size }));
const sizeOf = (item: { size: number }) => item.size;
const ids = (parts: Array<{ requests: Array<{ id: number }> }>) =>
  parts.map((p) => p.requests.map((r) => r.id));

describe('planBatchParts', () => {
  it('splits by request count, keeping order and numbering parts from 0', () => {
    const parts = planBatchParts(
      items([1, 1, 1, 1, 1]),
      { maxRequestsPerBatch: 2, maxBytesPerBatch: 1_000 },
      sizeOf,
    );
    expect(ids(parts)).toEqual([[0, 1], [2, 3], [4]]);
    expect(parts.map((p) => p.part_index)).toEqual([0, 1, 2]);
  });

  it('splits by bytes, an item that exactly fills a part staying in it', () => {
    const parts = planBatchParts(
      items([40, 60, 30, 80, 20]),
      { maxRequestsPerBatch: 100, maxBytesPerBatch: 100 },
      sizeOf,
    );
    expect(ids(parts)).toEqual([[0, 1], [2], [3, 4]]);
  });

  it('applies whichever limit is hit first', () => {
    const parts = planBatchParts(
      items([10, 10, 10, 95, 10]),
      { maxRequestsPerBatch: 2, maxBytesPerBatch: 100 },
      sizeOf,
    );
    expect(ids(parts)).toEqual([[0, 1], [2], [3], [4]]);
  });

  it('plans the same parts for the same input (needed for resuming)', () => {
    const input = items([5, 7, 3, 9, 2, 8]);
    const limits = { maxRequestsPerBatch: 3, maxBytesPerBatch: 15 };
    expect(planBatchParts(input, limits, sizeOf)).toEqual(planBatchParts(input, limits, sizeOf));
  });

  it('returns no parts for no requests', () => {
    expect(planBatchParts([], { maxRequestsPerBatch: 2, maxBytesPerBatch: 10 }, sizeOf)).toEqual([]);
  });

  it('rejects a single item over the byte limit as INVALID_REQUEST', () => {
    let caught: unknown;
    try {
      planBatchParts(items([5, 101]), { maxRequestsPerBatch: 10, maxBytesPerBatch: 100 }, sizeOf);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect((caught as ProviderError).code).toBe('INVALID_REQUEST');
    expect((caught as ProviderError).details).toMatchObject({ index: 1, size: 101 });
  });
});
