import { GoogleFakeServer } from '../../testing/google-fake-server.js';
import { fakeComparison, GOOGLE_ON_FAKE, setUpOnFake } from '../../testing/fake-provider-harness.js';
import type { TestProviderDeps } from '../../testing/test-provider-deps.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import { GoogleProvider } from './google.provider.js';

const comparison = (id: string) => fakeComparison(id);

const requests = ['g-0', 'g-1', 'g-2'].map(comparison);
const crash = async (): Promise<void> => {
  throw new Error('worker killed before the ref was stored');
};
const LIST = /^GET \/v1beta\/batches(\?|$)/;

describe('GoogleProvider crash recovery (a part created but never recorded)', () => {
  let fake: GoogleFakeServer;
  let test: TestProviderDeps;
  let provider: GoogleProvider;

  beforeEach(async () => {
    fake = new GoogleFakeServer();
    await fake.start();
    ({ provider, test } = setUpOnFake(GOOGLE_ON_FAKE, fake, { limits: { maxRequestsPerBatch: 2 } }));
  });

  afterEach(async () => {
    test.close();
    await fake.stop();
  });

  /** Names of the jobs at the fake, oldest first. */
  async function jobNames(): Promise<string[]> {
    const res = await fetch(`${fake.url}/v1beta/batches?pageSize=1000`, {
      headers: { 'x-goog-api-key': fake.apiKey },
    });
    const body = (await res.json()) as { operations: Array<{ name: string }> };
    return body.operations.map((o) => o.name).reverse();
  }

  it('adopts the unrecorded job on a recovering submit instead of creating it again', async () => {
    await expect(
      provider.submitBatch(requests, {}, { batchKey: 'crash', onPartSubmitted: crash }),
    ).rejects.toThrow('worker killed');
    expect(fake.createdBatchCount()).toBe(1);
    const [orphan] = await jobNames();

    const ref = await provider.submitBatch(requests, {}, { batchKey: 'crash', recoverSubmittedParts: true });

    expect(fake.createdBatchCount()).toBe(2);
    expect(ref.parts[0]).toMatchObject({
      provider_batch_id: orphan,
      comparison_ids: ['g-0', 'g-1'],
      state: { recovered: true },
    });
    expect(ref.parts[1].provider_batch_id).not.toBe(orphan);
    expect(test.counter.count('google', 'batch.list')).toBe(1);
    expect((await provider.getBatchStatus(ref)).results_ready).toBe(true);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['g-0', 'g-1', 'g-2']);
  });

  it('adopts the missing part of a resumed ref, found on a later list page', async () => {
    let stored: ProviderBatchRef | undefined;
    let calls = 0;
    const persistFirstOnly = async (partial: ProviderBatchRef): Promise<void> => {
      calls += 1;
      if (calls === 2) throw new Error('worker killed before the second part was stored');
      stored = partial;
    };
    await expect(
      provider.submitBatch(requests, {}, { batchKey: 'resume', onPartSubmitted: persistFirstOnly }),
    ).rejects.toThrow('worker killed');
    const orphan = (await jobNames())[1];
    // A busy project: 100 newer jobs push the orphan onto the second page of the list.
    for (let i = 0; i < 100; i += 1) {
      await provider.submitBatch([comparison(`noise-${i}`)], {}, { batchKey: `noise-${i}` });
    }
    const created = fake.createdBatchCount();
    const logged = fake.requestLog.length;

    const ref = await provider.submitBatch(requests, {}, { batchKey: 'resume', resumeFrom: stored });

    expect(fake.createdBatchCount()).toBe(created);
    expect(ref.parts.map((p) => p.provider_batch_id)).toEqual([stored!.parts[0].provider_batch_id, orphan]);
    expect(test.counter.count('google', 'batch.list')).toBe(2);
    const lists = fake.requestLog
      .slice(logged)
      .filter((r) => LIST.test(`${r.method} ${r.path}`))
      .map((r) => new URL(r.path, fake.url).searchParams);
    expect(lists.map((q) => q.get('pageSize'))).toEqual(['100', '100']);
    expect([lists[0].has('pageToken'), lists[1].has('pageToken')]).toEqual([false, true]);
  });

  it('does not adopt jobs of another key, another part, or a failed one', async () => {
    await provider.submitBatch(requests, {}, { batchKey: 'other' });
    let stored: ProviderBatchRef | undefined;
    const storeThenCrash = async (partial: ProviderBatchRef): Promise<void> => {
      stored = partial;
      throw new Error('worker killed after storing part 0');
    };
    await expect(
      provider.submitBatch(requests, {}, { batchKey: 'miss', onPartSubmitted: storeThenCrash }),
    ).rejects.toThrow('worker killed');
    const foreign = new Set(await jobNames());

    const resumed = await provider.submitBatch(requests, {}, { batchKey: 'miss', resumeFrom: stored });
    expect(foreign.has(resumed.parts[1].provider_batch_id)).toBe(false);
    expect(resumed.parts[1].state).not.toHaveProperty('recovered');

    fake.batchOutcome = 'failed';
    const single = requests.slice(0, 1);
    await expect(
      provider.submitBatch(single, {}, { batchKey: 'failed', onPartSubmitted: crash }),
    ).rejects.toThrow('worker killed');
    const failed = (await jobNames()).at(-1)!;
    const probe: ProviderBatchRef = {
      provider: 'google',
      model: resumed.model,
      batch_key: 'failed',
      part_count: 1,
      parts: [{ part_index: 0, provider_batch_id: failed, comparison_ids: ['g-0'] }],
      submitted_at: new Date().toISOString(),
    };
    expect((await provider.getBatchStatus(probe)).state).toBe('failed');
    fake.batchOutcome = 'succeeded';
    const retried = await provider.submitBatch(
      single,
      {},
      { batchKey: 'failed', recoverSubmittedParts: true },
    );
    expect(retried.parts[0].provider_batch_id).not.toBe(failed);
  });

  it('adopts a job whose create reply was lost instead of creating it again', async () => {
    fake.lostCreateReplies = 1;

    const ref = await provider.submitBatch(requests.slice(0, 1), {}, { batchKey: 'lost' });

    expect(fake.createdBatchCount()).toBe(1);
    expect(ref.parts[0].provider_batch_id).toBe((await jobNames())[0]);
    expect(test.counter.count('google', 'batch.create')).toBe(1);
    expect(fake.countRequests(LIST)).toBeGreaterThanOrEqual(1);
  });
});
