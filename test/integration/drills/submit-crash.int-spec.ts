import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BatchRecord, BatchRepository } from '#batch-store';
import { loadProvidersConfig, resolveLlmConfig, type ProviderBatchRef } from '#llm-providers';
import { OpenAIFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests, waitFor } from '../worker/support/batch-factory.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';

const LIST = /^GET \/v1\/batches\?/;

/**
 * The worker's first write of a ref that holds part `partIndex` fails, as if the process died right after the
 * provider created that part: the part exists at OpenAI but nowhere in Redis. Later writes go through.
 */
function crashOnFirstSaveOf(repo: BatchRepository, batchId: string, partIndex: number): () => boolean {
  const save = repo.saveProviderRef.bind(repo);
  let crashed = false;
  repo.saveProviderRef = async (id: string, ref: ProviderBatchRef) => {
    if (!crashed && id === batchId && ref.parts.some((p) => p.part_index === partIndex)) {
      crashed = true;
      throw new Error('worker killed between the create response and the Redis write');
    }
    return save(id, ref);
  };
  return () => crashed;
}

// The worker runs in this process against the OpenAI fake; its step "dies" (throws out of the job) right after a
// part's batch was created and before the ref recording it is stored. The retried job must adopt that batch.
describe('drill: the worker dies between a provider create and storing its ref', () => {
  const fake = new OpenAIFakeServer();
  let worker: RunningWorker;
  let config: ReturnType<typeof resolveLlmConfig>;

  beforeAll(async () => {
    await fake.start();
    const providerEnv = { OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: `${fake.url}/v1` };
    worker = await startWorker({}, { ...providerEnv, OPENAI_MAX_BATCH_REQUESTS: '4' });
    config = resolveLlmConfig({ provider_override: 'openai' }, loadProvidersConfig(providerEnv));
  });

  afterAll(async () => {
    await worker?.stop();
    if (worker) await clearPrefix(worker);
    await fake.stop();
  });

  async function runUntilTerminal(partIndex: number, comparisons: number): Promise<BatchRecord> {
    const requests = makeRequests(comparisons, `crash-${partIndex}`);
    const record = makeBatch(requests, { config });
    const crashed = crashOnFirstSaveOf(worker.repo, record.batch_id, partIndex);
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);
    const done = await waitFor(
      `batch ${record.batch_id} terminal`,
      async () => {
        const r = await worker.repo.get(record.batch_id);
        return r && ['completed', 'failed', 'canceled', 'expired'].includes(r.status) ? r : undefined;
      },
      30_000,
    );
    expect(crashed()).toBe(true);
    return done;
  }

  it('adopts the first part, created but never recorded, instead of submitting it again', async () => {
    const before = fake.createdBatchCount();
    const listsBefore = fake.countRequests(LIST);

    const done = await runUntilTerminal(0, 3);

    expect(fake.createdBatchCount() - before).toBe(1);
    const created = fake.submittedBatches().at(-1)!;
    expect(done.provider_ref?.parts.map((p) => p.provider_batch_id)).toEqual([created.id]);
    expect(done.provider_ref?.parts[0].state).toMatchObject({ recovered: true });
    expect(done).toMatchObject({
      status: 'completed',
      submit_attempts: 2,
      counts: { succeeded: 3, failed: 0 },
    });
    expect(fake.countRequests(LIST) - listsBefore).toBe(1);
    const results = await worker.repo.getResults(done.batch_id, 0, 10);
    expect(results.map((r) => r.comparison_id)).toEqual(['crash-0-0', 'crash-0-1', 'crash-0-2']);
  });

  it('resumes a two-part batch whose second part was created but never recorded', async () => {
    const before = fake.createdBatchCount();

    const done = await runUntilTerminal(1, 6);

    expect(fake.createdBatchCount() - before).toBe(2);
    const created = fake.submittedBatches().slice(-2);
    expect(created.map((b) => b.metadata)).toEqual([
      { batch_key: done.batch_id, part_index: '0' },
      { batch_key: done.batch_id, part_index: '1' },
    ]);
    expect(done.provider_ref?.parts.map((p) => p.provider_batch_id)).toEqual(created.map((b) => b.id));
    expect(done).toMatchObject({ status: 'completed', counts: { succeeded: 6, failed: 0 } });
    expect(await worker.repo.storedIndexes(done.batch_id)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });
});
