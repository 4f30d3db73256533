import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createEnvelope, EVENT_TYPES } from '#contracts';
import {
  ensureTopics,
  KafkaEventPublisher,
  parseBrokers,
  type PublishableEvent,
  type SerializedEvent,
  type TopicRecords,
} from '#infra';
import { TopicReader } from '../worker/support/topic-reader.js';

const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');

/** The real publisher, counting the produce rounds it sends (and how many records each held). */
class CountingPublisher extends KafkaEventPublisher {
  readonly rounds: number[] = [];
  protected override async sendRound(round: Array<TopicRecords<SerializedEvent>>): Promise<void> {
    this.rounds.push(round.reduce((n, r) => n + r.messages.length, 0));
    await super.sendRound(round);
  }
}

function events(topic: string, key: string, count: number, text = ''): PublishableEvent[] {
  return Array.from({ length: count }, (_, n) => ({
    topic,
    key,
    envelope: createEnvelope({
      event_type: EVENT_TYPES.ping,
      source_service: 'produce-rounds-test',
      correlation_id: key,
      data: { n, text },
    }),
  }));
}

describe('Kafka produce rounds: publishes of one turn share a request (real broker)', () => {
  const publisher = new CountingPublisher({ brokers, clientId: 'produce-rounds' });
  const readers: TopicReader[] = [];

  afterAll(async () => {
    await publisher.onApplicationShutdown();
    await Promise.all(readers.map((r) => r.stop()));
  });

  it('sends 40 outboxes published together as one produce round, each key in its order', async () => {
    const topic = `test.produce-rounds.${randomUUID()}.v1`;
    await ensureTopics(brokers, [topic]);
    const reader = await TopicReader.start(brokers, topic);
    readers.push(reader);
    // Warm up the connection and metadata first, so the round counted below is only the 40 publishes'.
    await publisher.publishBatch(topic, events(topic, 'warm-up', 1));
    publisher.rounds.length = 0;

    const keys = Array.from({ length: 40 }, (_, i) => `batch-${i}`);
    await Promise.all(keys.map((key) => publisher.publishBatch(topic, events(topic, key, 3))));

    expect(publisher.rounds).toEqual([120]);
    const received = await reader.waitForDistinct(121);
    for (const key of keys) {
      const order = received.filter((m) => m.key === key).map((m) => (m.envelope.data as { n: number }).n);
      expect(order).toEqual([0, 1, 2]);
    }
  }, 60_000);

  it('sends a joined round the broker refuses as too large again caller by caller, and each is delivered', async () => {
    // A topic whose record batches may hold ~3 KB: two 2 KB outboxes on one key fit alone, not together.
    const topic = `test.produce-rounds-small.${randomUUID()}.v1`;
    const kafka = new Kafka({ clientId: 'produce-rounds-admin', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '3000' }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const reader = await TopicReader.start(brokers, topic);
    readers.push(reader);
    await publisher.publishBatch(topic, events(topic, 'warm-up', 1));
    publisher.rounds.length = 0;

    const text = 'x'.repeat(2_000);
    const outcomes = await Promise.allSettled([
      publisher.publishBatch(topic, events(topic, 'same-key', 1, text)),
      publisher.publishBatch(topic, events(topic, 'same-key', 1, text)),
    ]);

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    // The joined round (2 records) was refused, then each caller went alone.
    expect(publisher.rounds).toEqual([2, 1, 1]);
    const received = await reader.waitForDistinct(3);
    expect(received.filter((m) => m.key === 'same-key')).toHaveLength(2);
  }, 60_000);
});
