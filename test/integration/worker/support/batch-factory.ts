import { createHash, randomUUID } from 'node:crypto';
import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import type { NewBatchRecord } from '#batch-store';

/** Deterministic comparisons; `quality` markers let the Mock judge pick a winner. */
export function makeRequests(count: number, prefix = 'c'): ComparisonRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    comparison_id: `${prefix}-${i}`,
    user_prompt: 'Which essay argues its case better?',
    essay_a: `Essay ${i} A [[quality:${(i * 7) % 10}]] lorem ipsum`,
    essay_b: `Essay ${i} B [[quality:${(i * 3) % 10}]] dolor sit amet`,
    metadata: { pair_index: i, assessment_id: 'asm-1', nested: { tag: `t${i}` } },
  }));
}

export const MOCK_CONFIG: ResolvedLlmConfig = {
  provider: 'mock',
  model: 'mock-judge-1',
  temperature: 0.2,
  max_tokens: 512,
  system_prompt: 'You are a careful judge.',
};

export function makeBatch(
  requests: ComparisonRequest[],
  overrides: Partial<NewBatchRecord> = {},
): NewBatchRecord {
  const hash = createHash('sha256').update(JSON.stringify(requests)).digest('hex');
  return {
    batch_id: randomUUID(),
    kind: 'batch',
    mode: 'batch',
    correlation_id: randomUUID(),
    assessment_id: 'asm-1',
    callback_topic: 'test.results.v1',
    priority: 5,
    config: MOCK_CONFIG,
    comparison_count: requests.length,
    request_hash: hash,
    idempotency_key: null,
    created_at: new Date().toISOString(),
    ...overrides,
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
