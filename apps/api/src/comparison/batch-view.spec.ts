import { describe, expect, it } from '@jest/globals';
import type { BatchRecord } from '#batch-store';
import type { ProviderBatchRef } from '#llm-providers';
import { toBatchStatus } from './batch-view.js';

function record(patch: Partial<BatchRecord> = {}): BatchRecord {
  return {
    batch_id: 'b-1',
    kind: 'batch',
    status: 'in_progress',
    mode: 'batch',
    correlation_id: 'c-1',
    assessment_id: null,
    callback_topic: 't',
    priority: 5,
    config: {
      provider: 'openai',
      model: 'gpt-5.4-mini',
      temperature: 0,
      max_tokens: 512,
      system_prompt: 'J',
    },
    comparison_count: 8,
    request_hash: 'h',
    idempotency_key: null,
    created_at: '2026-11-30T10:00:00.000Z',
    counts: { succeeded: 0, failed: 0, pending: 8 },
    cost_usd: 0,
    individual_cost_usd: 0,
    ...patch,
  };
}

const ref = (submitted: number, total: number): ProviderBatchRef => ({
  provider: 'openai',
  model: 'gpt-5.4-mini',
  batch_key: 'b-1',
  part_count: total,
  parts: Array.from({ length: submitted }, (_, i) => ({
    part_index: i,
    provider_batch_id: `batch_${i}`,
    comparison_ids: [`c${i}`],
  })),
  submitted_at: '2026-11-30T10:00:01.000Z',
});

describe('toBatchStatus: quota (issue 9.5)', () => {
  it('shows parts in state waiting_quota and the refusals while a batch waits for quota', () => {
    const view = toBatchStatus(record({ provider_ref: ref(1, 3), quota_refusals: 2 }));
    expect(view.quota).toEqual({ parts_total: 3, parts_submitted: 1, parts_waiting_quota: 2, refusals: 2 });
    expect(view.provider_batch_ids).toEqual(['batch_0']);
  });

  it('has no quota section for a batch that never waited', () => {
    expect(toBatchStatus(record({ provider_ref: ref(2, 2) })).quota).toBeUndefined();
  });
});
