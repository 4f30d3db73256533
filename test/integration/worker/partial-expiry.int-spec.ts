import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EVENT_TYPES, type ResolvedLlmConfig } from '#contracts';
import { ensureTopics, parseBrokers } from '#infra';
import { AnthropicFakeServer, GoogleFakeServer, OpenAIFakeServer } from '#llm-providers/testing';
import { makeBatch, makeRequests } from './support/batch-factory.js';
import { KAFKA_BROKERS } from './support/store-harness.js';
import { TopicReader } from './support/topic-reader.js';
import { clearPrefix, startWorker, waitForTerminal, type RunningWorker } from './support/worker-harness.js';

const brokers = parseBrokers(KAFKA_BROKERS);
/** Custom ids are `<comparison id>_<position in the provider batch>` (libs/llm-providers custom-id.ts). */
const comparisonOf = (customId: unknown) => String(customId).replace(/_\d+$/, '');

function config(provider: ResolvedLlmConfig['provider'], model: string): ResolvedLlmConfig {
  return { provider, model, temperature: 0, max_tokens: 512, system_prompt: 'Judge.' };
}

/**
 * Issue 9.6, expiry keeps what was paid for: a provider batch that expires with half its items finished keeps
 * those results, and only the unfinished half is submitted again, to the same provider, model and config.
 * Real Redis and Kafka; each provider's fake expires the way its documentation says.
 */
describe('an expired-half batch completes after one resubmission of only the unfinished half', () => {
  const openai = new OpenAIFakeServer();
  const anthropic = new AnthropicFakeServer();
  const google = new GoogleFakeServer();
  let worker: RunningWorker;

  beforeAll(async () => {
    await Promise.all([openai.start(), anthropic.start(), google.start()]);
    worker = await startWorker(
      { EXPIRY_RESUBMIT_ATTEMPTS: '1' },
      {
        OPENAI_API_KEY: openai.apiKey,
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: anthropic.apiKey,
        ANTHROPIC_BASE_URL: anthropic.url,
        GEMINI_API_KEY: google.apiKey,
        GOOGLE_GEMINI_BASE_URL: google.url,
      },
    );
  });
  afterAll(async () => {
    await worker.stop();
    await clearPrefix(worker);
    await Promise.all([openai.stop(), anthropic.stop(), google.stop()]);
  });

  it('OpenAI: `expired` with an output file for the first half and batch_expired lines for the rest', async () => {
    const requests = makeRequests(8, 'oa-exp');
    const topic = `test.partial-expiry.${randomUUID()}.v1`;
    // Callback topics exist before a batch names them: the worker never creates one.
    await ensureTopics(brokers, [topic]);
    const record = makeBatch(requests, { config: config('openai', 'gpt-5.4-mini'), callback_topic: topic });
    openai.expireHalfOfNextBatch();
    const before = openai.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ succeeded: 8, failed: 0, pending: 0 });
    expect(done.expiry_resubmissions).toBe(1);
    // Provider calls: two batches created; the second carries exactly the four unfinished comparisons.
    const created = openai.submittedBatches().slice(before);
    expect(created).toHaveLength(2);
    const ids = (lines: Array<Record<string, unknown>>) => lines.map((l) => comparisonOf(l.custom_id));
    expect(created[0].lines).toHaveLength(8);
    expect(ids(created[1].lines)).toEqual(ids(created[0].lines.slice(4)));
    // The expired provider batch is let go of, never forgotten: it stays on the record beside the live one.
    expect(done.retired_provider_batch_ids).toEqual([created[0].id]);
    expect(done.provider_ref?.parts.map((p) => p.provider_batch_id)).toEqual([created[1].id]);
    // Same model and config: the resubmitted lines ask for the same model, system prompt and output limit.
    const body = (line: Record<string, unknown>) => line.body as Record<string, unknown>;
    const shape = (line: Record<string, unknown>) => ({
      model: body(line).model,
      max: body(line).max_completion_tokens,
      system: JSON.stringify((body(line).messages as unknown[])[0]),
    });
    expect(shape(created[1].lines[0])).toEqual(shape(created[0].lines[0]));

    // Every comparison gets exactly one result event on Kafka, then one LLMBatchCompletedV1 saying completed.
    const reader = await TopicReader.start(brokers, topic);
    try {
      const messages = await reader.waitForDistinct(10);
      const results = messages.filter((m) => m.envelope.event_type === EVENT_TYPES.comparisonResult);
      expect(new Set(results.map((m) => m.envelope.data.comparison_id))).toEqual(
        new Set(requests.map((r) => r.comparison_id)),
      );
      expect(results.every((m) => m.envelope.data.winner)).toBe(true);
      const completed = messages.filter((m) => m.envelope.event_type === EVENT_TYPES.batchCompleted);
      expect(completed.map((m) => m.envelope.data.status)).toEqual(['completed']);
    } finally {
      await reader.stop();
    }
  });

  it('Anthropic: `ended` with `expired` results for the unreached half', async () => {
    const requests = makeRequests(6, 'an-exp');
    const record = makeBatch(requests, { config: config('anthropic', 'claude-haiku-4-5') });
    anthropic.expireHalfOfNextBatch();
    const before = anthropic.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ succeeded: 6, failed: 0, pending: 0 });
    const created = anthropic.submittedBatches().slice(before);
    expect(created.map((b) => b.requests.length)).toEqual([6, 3]);
    const ids = (batch: (typeof created)[number]) => batch.requests.map((r) => comparisonOf(r.custom_id));
    expect(ids(created[1])).toEqual(ids(created[0]).slice(3));
    expect(created[1].requests[0].params.model).toBe(created[0].requests[0].params.model);
  });

  it('Gemini: an expired job returns nothing, so every item is resubmitted once and the batch completes', async () => {
    const requests = makeRequests(4, 'gm-exp');
    const record = makeBatch(requests, { config: config('google', 'gemini-3.1-flash-lite') });
    google.expiringBatches = 1;
    const before = google.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ succeeded: 4, failed: 0, pending: 0 });
    const created = google.batchRequests().slice(before);
    expect(created.map((b) => b.items.length)).toEqual([4, 4]);
    expect(created[1].model).toBe(created[0].model);
  });

  it('a resubmission that expires again ends the batch `expired`, keeping every finished result', async () => {
    const requests = makeRequests(8, 'an-exp2');
    const record = makeBatch(requests, { config: config('anthropic', 'claude-haiku-4-5') });
    anthropic.expireHalfOfNextBatch(2);
    const before = anthropic.createdBatchCount();
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id);

    const done = await waitForTerminal(worker, record.batch_id, 40_000);
    expect(done.status).toBe('expired');
    // 4 finished in the first batch, 2 of the 4 resubmitted finished in the second, 2 never did.
    expect(done.counts).toEqual({ succeeded: 6, failed: 2, pending: 0 });
    expect(
      anthropic
        .submittedBatches()
        .slice(before)
        .map((b) => b.requests.length),
    ).toEqual([8, 4]);
    const results = await worker.repo.getResults(record.batch_id, 0, 10);
    expect(results.filter((r) => r.result.error_detail?.error_code === 'BATCH_EXPIRED')).toHaveLength(2);
  });
});
