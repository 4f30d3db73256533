import type { ComparisonRequest } from '#contracts';
import { AnthropicFakeServer } from '../../testing/anthropic-fake-server.js';
import { ANTHROPIC_ON_FAKE, fakeComparison, setUpOnFake } from '../../testing/fake-provider-harness.js';
import type { TestProviderDeps } from '../../testing/test-provider-deps.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import { AnthropicProvider } from './anthropic.provider.js';

const comparison = (id: string) => fakeComparison(id);

const requests = ['r-0', 'r-1', 'r-2'].map(comparison);

/**
 * Issue 9.7. Message Batches carry no tag of ours, so a worker killed between a create response and the write of
 * the batch id used to create the part again. Now the intent (time, request count, first and last custom id) is
 * stored before the create; recovery lists the batches created since with that request count and adopts one only
 * once its results' custom ids prove it is ours (results exist only once a batch has ended).
 */
describe('AnthropicProvider crash recovery (a part created but never recorded)', () => {
  let fake: AnthropicFakeServer;
  let test: TestProviderDeps;
  let provider: AnthropicProvider;
  let fakeNow: number;

  beforeEach(async () => {
    fakeNow = Date.now();
    fake = new AnthropicFakeServer({ now: () => new Date(fakeNow) });
    await fake.start();
    ({ provider, test } = setUpOnFake(ANTHROPIC_ON_FAKE, fake, { limits: { maxRequestsPerBatch: 2 } }));
  });

  afterEach(async () => {
    test.close();
    await fake.stop();
  });

  /**
   * Submits `key` and "crashes": right after the first create, before its id is stored (`create`), or right after
   * the intent is stored, before the create call (`intent`). Returns the ref that reached the store.
   */
  async function crash(
    key: string,
    parts: ComparisonRequest[],
    at: 'create' | 'intent',
  ): Promise<ProviderBatchRef> {
    let stored: ProviderBatchRef | undefined;
    await expect(
      provider.submitBatch(
        parts,
        {},
        {
          batchKey: key,
          onPartIntent: async (ref) => {
            stored = ref;
            if (at === 'intent') throw new Error('worker killed before the create call');
          },
          onPartSubmitted: async () => {
            throw new Error('worker killed before the batch id was stored');
          },
        },
      ),
    ).rejects.toThrow('worker killed');
    return stored!;
  }

  it('records the intent before creating, waits while the candidate runs, then adopts it once proven', async () => {
    fake.holdBatches();
    const stored = await crash('b-crash', requests, 'create');
    expect(stored.parts).toEqual([]);
    expect(stored.pending_part).toEqual({
      part_index: 0,
      created_after: expect.any(String),
      request_count: 2,
      first_custom_id: 'r-0_0',
      last_custom_id: 'r-1_1',
    });
    expect(fake.createdBatchCount()).toBe(1);
    const orphan = fake.submittedBatches()[0].id;

    // The orphan is still in progress: no results, so no proof. Nothing is created; the intent is kept.
    const waiting = await provider.submitBatch(requests, {}, { batchKey: 'b-crash', resumeFrom: stored });
    expect(waiting.parts).toEqual([]);
    expect(waiting.pending_part).toEqual(stored.pending_part);
    expect(fake.createdBatchCount()).toBe(1);
    expect(test.counter.count('anthropic', 'batch.list')).toBe(1);
    expect(test.counter.count('anthropic', 'batch.results')).toBe(0);

    // It ends: its results' custom ids prove it is ours; it is adopted and only part 1 is created.
    fake.releaseBatches();
    await provider.getBatchStatus({
      ...waiting,
      parts: [{ part_index: 0, provider_batch_id: orphan, comparison_ids: ['r-0', 'r-1'] }],
    });
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-crash', resumeFrom: waiting });
    expect(ref.parts[0]).toMatchObject({
      provider_batch_id: orphan,
      comparison_ids: ['r-0', 'r-1'],
      state: { recovered: true },
    });
    expect(ref.pending_part).toBeUndefined();
    expect(fake.createdBatchCount()).toBe(2);
    expect((await provider.getBatchStatus(ref)).results_ready).toBe(true);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0', 'r-1', 'r-2']);
  });

  it('does not adopt a foreign batch with the same request count: its custom ids differ', async () => {
    const foreign = await provider.submitBatch(
      [comparison('x-0'), comparison('x-1')],
      {},
      { batchKey: 'other' },
    );
    await provider.getBatchStatus(foreign); // ended
    const stored = await crash('b-never', requests.slice(0, 2), 'intent');
    expect(fake.createdBatchCount()).toBe(1);

    const ref = await provider.submitBatch(
      requests.slice(0, 2),
      {},
      { batchKey: 'b-never', resumeFrom: stored },
    );

    expect(test.counter.count('anthropic', 'batch.results')).toBeGreaterThanOrEqual(1);
    expect(fake.createdBatchCount()).toBe(2);
    expect(ref.parts[0].provider_batch_id).not.toBe(foreign.parts[0].provider_batch_id);
    expect(ref.parts[0].state).not.toHaveProperty('recovered');
  });

  it('adopts exactly one of two proven copies (two attempts raced) and creates nothing more', async () => {
    const two = requests.slice(0, 2);
    const first = await crash('b-race', two, 'create');
    await crash('b-race', two, 'create');
    expect(fake.createdBatchCount()).toBe(2);
    const copies = fake.submittedBatches().map((b) => b.id);
    for (const id of copies) {
      await provider.getBatchStatus({
        ...first,
        parts: [{ part_index: 0, provider_batch_id: id, comparison_ids: ['r-0', 'r-1'] }],
      });
    }

    const ref = await provider.submitBatch(two, {}, { batchKey: 'b-race', resumeFrom: first });

    expect(fake.createdBatchCount()).toBe(2);
    expect(ref.parts).toHaveLength(1);
    expect(copies).toContain(ref.parts[0].provider_batch_id);
    // The other copy is a proven duplicate. Proof needs its results, so it has already ended: nothing to cancel.
    expect(fake.countRequests(/\/cancel$/)).toBe(0);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0', 'r-1']);
  });

  it('ignores batches created before the intent (less clock skew), whatever their request count', async () => {
    fakeNow -= 60 * 60 * 1000;
    await provider.submitBatch(requests.slice(0, 2), {}, { batchKey: 'old' });
    fakeNow += 60 * 60 * 1000;
    const stored = await crash('b-late', requests.slice(0, 2), 'intent');

    const ref = await provider.submitBatch(
      requests.slice(0, 2),
      {},
      { batchKey: 'b-late', resumeFrom: stored },
    );

    expect(fake.createdBatchCount()).toBe(2);
    expect(test.counter.count('anthropic', 'batch.results')).toBe(0);
    expect(ref.parts[0].state).not.toHaveProperty('recovered');
  });

  it('never lists when no earlier attempt is signalled', async () => {
    await provider.submitBatch(requests, {}, { batchKey: 'b-fresh' });
    expect(test.counter.count('anthropic', 'batch.list')).toBe(0);
  });
});
