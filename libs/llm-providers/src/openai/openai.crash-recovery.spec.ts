import { OpenAIFakeServer } from '../../testing/openai-fake-server.js';
import { fakeComparison, OPENAI_ON_FAKE, setUpOnFake } from '../../testing/fake-provider-harness.js';
import type { TestProviderDeps } from '../../testing/test-provider-deps.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import { OpenAIProvider } from './openai.provider.js';

const comparison = (id: string) => fakeComparison(id);

const requests = ['r-0', 'r-1', 'r-2'].map(comparison);
const crash = async (): Promise<void> => {
  throw new Error('worker killed before the ref was stored');
};

describe('OpenAIProvider crash recovery (a part created but never recorded)', () => {
  let fake: OpenAIFakeServer;
  let test: TestProviderDeps;
  let provider: OpenAIProvider;
  /** Unix seconds the fake stamps on new batches. */
  let fakeNow: number;

  beforeEach(async () => {
    fakeNow = Math.floor(Date.now() / 1000);
    fake = new OpenAIFakeServer({ now: () => fakeNow });
    await fake.start();
    ({ provider, test } = setUpOnFake(OPENAI_ON_FAKE, fake, { limits: { maxRequestsPerBatch: 2 } }));
  });

  afterEach(async () => {
    test.close();
    await fake.stop();
  });

  /** Submits `key` until the first part's create succeeded and its persist "crashed"; returns that batch id. */
  async function crashAfterFirstCreate(key: string, parts = requests): Promise<string> {
    const before = fake.createdBatchCount();
    await expect(provider.submitBatch(parts, {}, { batchKey: key, onPartSubmitted: crash })).rejects.toThrow(
      'worker killed',
    );
    expect(fake.createdBatchCount()).toBe(before + 1);
    return fake.submittedBatches().at(-1)!.id;
  }

  it('adopts the unrecorded batch on a recovering submit instead of creating it again', async () => {
    const orphan = await crashAfterFirstCreate('b-crash');
    const inputFileId = JSON.parse(
      fake.requestLog.filter((r) => r.method === 'POST' && r.path === '/v1/batches')[0].body.toString(),
    ).input_file_id as string;

    const ref = await provider.submitBatch(
      requests,
      {},
      { batchKey: 'b-crash', recoverSubmittedParts: true },
    );

    expect(fake.createdBatchCount()).toBe(2);
    expect(ref.parts[0]).toMatchObject({
      provider_batch_id: orphan,
      comparison_ids: ['r-0', 'r-1'],
      state: { input_file_id: inputFileId, recovered: true },
    });
    expect(ref.parts[1].provider_batch_id).not.toBe(orphan);
    // One list call for the first missing part only: the second part could not have existed.
    expect(test.counter.count('openai', 'batch.list')).toBe(1);
    expect((await provider.getBatchStatus(ref)).results_ready).toBe(true);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0', 'r-1', 'r-2']);
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
      provider.submitBatch(requests, {}, { batchKey: 'b-resume', onPartSubmitted: persistFirstOnly }),
    ).rejects.toThrow('worker killed');
    const orphan = fake.submittedBatches()[1].id;
    // A busy account: 100 newer batches push the orphan onto the second page of the list.
    for (let i = 0; i < 100; i += 1) {
      await provider.submitBatch([comparison(`noise-${i}`)], {}, { batchKey: `noise-${i}` });
    }
    const created = fake.createdBatchCount();

    const ref = await provider.submitBatch(requests, {}, { batchKey: 'b-resume', resumeFrom: stored });

    expect(fake.createdBatchCount()).toBe(created);
    expect(ref.parts.map((p) => p.provider_batch_id)).toEqual([stored!.parts[0].provider_batch_id, orphan]);
    expect(test.counter.count('openai', 'batch.list')).toBe(2);
    const listed = fake.requestLog.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/batches?'));
    expect(listed.map((r) => new URL(r.path, fake.url).searchParams.get('limit'))).toEqual(['100', '100']);
  }, 30_000); // 100 real HTTP submissions: seconds on a loaded 2-core machine

  it('does not adopt batches of another key, another part, or a failed one', async () => {
    await provider.submitBatch(requests, {}, { batchKey: 'b-other' });
    let stored: ProviderBatchRef | undefined;
    const storeThenCrash = async (partial: ProviderBatchRef): Promise<void> => {
      stored = partial;
      throw new Error('worker killed after storing part 0');
    };
    await expect(
      provider.submitBatch(requests, {}, { batchKey: 'b-miss', onPartSubmitted: storeThenCrash }),
    ).rejects.toThrow('worker killed');
    const foreign = new Set(fake.submittedBatches().map((b) => b.id));

    const resumed = await provider.submitBatch(requests, {}, { batchKey: 'b-miss', resumeFrom: stored });
    expect(foreign.has(resumed.parts[1].provider_batch_id)).toBe(false);
    expect(resumed.parts[1].state).not.toHaveProperty('recovered');

    fake.failNextBatchValidation();
    const failedId = await crashAfterFirstCreate('b-failed', requests.slice(0, 1));
    const probe: ProviderBatchRef = {
      provider: 'openai',
      model: resumed.model,
      batch_key: 'b-failed',
      part_count: 1,
      parts: [{ part_index: 0, provider_batch_id: failedId, comparison_ids: ['r-0'] }],
      submitted_at: new Date().toISOString(),
    };
    expect((await provider.getBatchStatus(probe)).state).toBe('failed');
    const retried = await provider.submitBatch(
      requests.slice(0, 1),
      {},
      {
        batchKey: 'b-failed',
        recoverSubmittedParts: true,
      },
    );
    expect(retried.parts[0].provider_batch_id).not.toBe(failedId);
  });

  it('stops at batches older than the submission could be', async () => {
    fakeNow -= 2 * 24 * 60 * 60;
    const stale = await crashAfterFirstCreate('b-stale', requests.slice(0, 1));
    fakeNow += 2 * 24 * 60 * 60;

    const ref = await provider.submitBatch(
      requests.slice(0, 1),
      {},
      {
        batchKey: 'b-stale',
        recoverSubmittedParts: true,
      },
    );

    expect(ref.parts[0].provider_batch_id).not.toBe(stale);
    expect(fake.createdBatchCount()).toBe(2);
  });

  it('creates without listing when no earlier attempt is signalled', async () => {
    await crashAfterFirstCreate('b-fresh', requests.slice(0, 1));
    await provider.submitBatch(requests.slice(0, 1), {}, { batchKey: 'b-fresh' });
    expect(fake.createdBatchCount()).toBe(2);
    expect(test.counter.count('openai', 'batch.list')).toBe(0);
  });

  it('adopts a batch whose create reply was lost instead of creating it again', async () => {
    fake.loseNextCreateReply();

    const ref = await provider.submitBatch(requests.slice(0, 1), {}, { batchKey: 'b-lost' });

    expect(fake.createdBatchCount()).toBe(1);
    expect(ref.parts[0]).toMatchObject({
      provider_batch_id: fake.submittedBatches()[0].id,
      state: { recovered: true },
    });
    expect(test.counter.count('openai', 'batch.create')).toBe(1);
    expect(test.counter.count('openai', 'batch.list')).toBe(1);
    expect((await provider.getBatchStatus(ref)).results_ready).toBe(true);
    const outcome = await provider.collectBatchResults(ref);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(['r-0']);
  });

  it('creates again after an ambiguous failure when the lookup finds nothing', async () => {
    fake.failNext(500, 1, {}, /^POST \/v1\/batches$/);

    const ref = await provider.submitBatch(requests.slice(0, 1), {}, { batchKey: 'b-not-created' });

    expect(fake.createdBatchCount()).toBe(1);
    expect(ref.parts[0].provider_batch_id).toBe(fake.submittedBatches()[0].id);
    expect(test.counter.count('openai', 'batch.create')).toBe(2);
    expect(test.counter.count('openai', 'batch.list')).toBe(1);
  });

  it('still retries a rate-limited create in place, without a lookup', async () => {
    fake.failNext(429, 1, { 'retry-after-ms': '0' }, /^POST \/v1\/batches$/);

    const ref = await provider.submitBatch(requests.slice(0, 1), {}, { batchKey: 'b-429' });

    expect(fake.createdBatchCount()).toBe(1);
    expect(ref.parts[0].provider_batch_id).toBe(fake.submittedBatches()[0].id);
    expect(test.counter.count('openai', 'batch.create')).toBe(2);
    expect(test.counter.count('openai', 'batch.list')).toBe(0);
  });
});
