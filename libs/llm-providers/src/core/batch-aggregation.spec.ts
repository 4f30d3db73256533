import { describe, expect, it } from '@jest/globals';
import {
  type PartItemResult,
  type PartStatus,
  mergePartOutcomes,
  mergePartStatuses,
} from './batch-aggregation.js';
import type { ComparisonResponse, NormalisedBatchState, ProviderBatchRef } from './llm-provider.js';
import { ProviderError } from './provider-error.js';

function refWith(partIds: string[][], partCount = partIds.length): ProviderBatchRef {
  return {
    provider: 'openai',
    model: 'gpt-5-mini',
    batch_key: 'b1',
    part_count: partCount,
    submitted_at: '2026-11-01T00:00:00Z',
    parts: partIds.map((ids, i) => ({ part_index: i, provider_batch_id: `pb${i}`, comparison_ids: ids })),
  };
}
const status = (state: NormalisedBatchState, counts?: PartStatus['counts']): PartStatus => ({
  state,
  raw_status: state,
  counts,
});
const ok = (id: string): PartItemResult => ({
  comparison_id: id,
  answer: {
    answer: { winner: 'Essay A', justification: 'j', confidence: 3 },
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  },
});
const toResponse = (id: string) => ({ comparison_id: id }) as ComparisonResponse;

describe('mergePartStatuses', () => {
  it.each<[NormalisedBatchState[], NormalisedBatchState, boolean]>([
    [['validating', 'validating'], 'validating', false],
    [['validating', 'in_progress'], 'in_progress', false],
    [['ended', 'validating'], 'in_progress', false],
    [['finalizing', 'in_progress'], 'in_progress', false],
    [['canceling', 'in_progress'], 'canceling', false],
    [['ended', 'ended'], 'ended', true],
    [['ended', 'expired'], 'ended', true],
    [['expired', 'expired'], 'expired', true],
    [['canceled', 'failed'], 'canceled', true],
    [['failed', 'failed'], 'failed', true],
  ])('%j → %s (ready %s)', (states, expected, ready) => {
    const merged = mergePartStatuses(
      refWith([['a'], ['b']]),
      states.map((s) => status(s)),
    );
    expect(merged.state).toBe(expected);
    expect(merged.results_ready).toBe(ready);
    expect(merged.parts.map((p) => p.provider_batch_id)).toEqual(['pb0', 'pb1']);
  });

  it('is never ready while parts are still to be submitted', () => {
    const merged = mergePartStatuses(refWith([['a']], 2), [status('ended')]);
    expect(merged.results_ready).toBe(false);
  });

  it('sums reported counts and derives missing ones', () => {
    const merged = mergePartStatuses(
      refWith([
        ['a', 'b'],
        ['c', 'd', 'e'],
      ]),
      [status('ended', { succeeded: 1, failed: 1 }), status('in_progress')],
    );
    expect(merged.counts).toEqual({
      total: 5,
      succeeded: 1,
      failed: 1,
      processing: 3,
      expired: 0,
      canceled: 0,
    });
  });
});

describe('mergePartOutcomes', () => {
  it('returns every input once, in input order, whatever order results arrive in', () => {
    const ref = refWith([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    const outcome = mergePartOutcomes(
      ref,
      [
        {
          status: status('ended'),
          items: [
            ok('c'),
            ok('a'),
            ok('zzz'),
            ok('a'),
            { comparison_id: 'b', error: new ProviderError('INVALID_RESPONSE', 'x') },
          ],
        },
        { status: status('expired'), items: [ok('e')] },
      ],
      toResponse,
    );
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['a', 'c', 'e']);
    expect(outcome.errors.map((e) => [e.comparison_id, e.error.code])).toEqual([
      ['b', 'INVALID_RESPONSE'],
      ['d', 'BATCH_EXPIRED'],
    ]);
  });

  it('explains missing items by their part’s state', () => {
    const failure = new ProviderError('INVALID_REQUEST', 'validation failed');
    const outcome = mergePartOutcomes(
      refWith([['a'], ['b'], ['c']]),
      [
        { status: status('canceled'), items: [] },
        { status: { ...status('failed'), error: failure }, items: [] },
        { status: status('ended'), items: [] },
      ],
      toResponse,
    );
    expect(outcome.errors.map((e) => e.error.code)).toEqual(['CANCELED', 'INVALID_REQUEST', 'BATCH_EXPIRED']);
    expect(outcome.errors[1].error).toBe(failure);
  });
});
