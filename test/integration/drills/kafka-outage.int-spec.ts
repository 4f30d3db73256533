import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES } from '#contracts';
import { ensureTopics } from '#infra';
import { freePort, ThrowawayKafka } from '../../support/throwaway-services.js';
import { makeBatch, makeRequests, waitFor } from '../worker/support/batch-factory.js';
import { TopicReader, type ReadMessage } from '../worker/support/topic-reader.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';

const COMPARISONS = 3_000;
const EVENTS = COMPARISONS + 2;

/** First occurrence of each event id, in the order read (at-least-once: later copies are duplicates). */
function deduped(messages: ReadMessage[]): ReadMessage[] {
  const seen = new Set<string>();
  return messages.filter((m) => !seen.has(m.envelope.event_id) && seen.add(m.envelope.event_id));
}

// Crashes a Kafka broker in the middle of a batch's fan-out. It is a second, private broker, so the shared one
// (used by every other suite) is never touched.
describe('drill: Kafka dies during fan-out and comes back', () => {
  let kafka: ThrowawayKafka;
  let worker: RunningWorker;

  beforeAll(async () => {
    kafka = new ThrowawayKafka(await freePort());
    await kafka.start();
    // Small produce requests stretch the fan-out of 3,002 events over a few seconds: room to crash mid-way.
    worker = await startWorker(
      { KAFKA_BROKERS: kafka.brokers, OUTBOX_BATCH_SIZE: '5', OUTBOX_RETRY_MS: '200' },
      { MOCK_LATENCY_MS: '300' },
      {},
      { quiet: true },
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    if (worker) await clearPrefix(worker);
    await kafka?.destroy();
  }, 60_000);

  it('delivers started, every result and completed, in order per batch, once the broker is back', async () => {
    const requests = makeRequests(COMPARISONS, 'k');
    const topic = `test.drill.kafka.${randomUUID()}.v1`;
    await ensureTopics([kafka.brokers], [topic]);
    const record = makeBatch(requests, { callback_topic: topic });
    await worker.repo.create(record, requests);
    await worker.queues.enqueueBatch(record.batch_id, 5);

    // Fan-out has begun once every result is stored (all events queued) and the first result events left.
    await waitFor(
      'fan-out under way',
      async () => {
        const batch = await worker.repo.get(record.batch_id);
        const left = await worker.outbox.size(record.batch_id);
        return batch?.status === 'completed' && left < EVENTS - 20 ? true : undefined;
      },
      30_000,
      5,
    );
    await kafka.kill();
    const unpublished = await worker.outbox.size(record.batch_id);
    expect(unpublished).toBeGreaterThan(0); // the crash hit the fan-out, not its end

    await kafka.start();
    await waitFor(
      'outbox drained after the broker returned',
      async () => ((await worker.outbox.size(record.batch_id)) === 0 ? true : undefined),
      60_000,
      100,
    );
    const reader = await TopicReader.start([kafka.brokers], topic);
    try {
      const events = deduped(await reader.waitForDistinct(EVENTS, 60_000));
      expect(events).toHaveLength(EVENTS);
      expect(new Set(events.map((m) => m.partition)).size).toBe(1);
      expect(events[0].envelope.event_type).toBe(EVENT_TYPES.batchRequestStarted);
      expect(events[EVENTS - 1].envelope.event_type).toBe(EVENT_TYPES.batchCompleted);
      expect(events[EVENTS - 1].envelope.data).toMatchObject({ successful_comparisons: COMPARISONS });
      // Published as collected (the provider's order): every comparison once.
      expect(
        events
          .slice(1, -1)
          .map((m) => String(m.envelope.data.comparison_id))
          .sort(),
      ).toEqual(requests.map((r) => r.comparison_id).sort());
    } finally {
      await reader.stop();
    }
  });
});
