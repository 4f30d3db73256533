import { Controller, type INestApplication } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { createEnvelope, EVENT_TYPES, type EventEnvelope } from '#contracts';
import { ensureTopics, KafkaEventPublisher, kafkaTransportOptions, parseBrokers } from '#infra';

const TOPIC = 'test.foundation.roundtrip.v1';
const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');

const received: EventEnvelope[] = [];
const waiters: Array<() => void> = [];

@Controller()
class RoundTripHandler {
  @EventPattern(TOPIC)
  handle(@Payload() envelope: EventEnvelope) {
    received.push(envelope);
    waiters.splice(0).forEach((wake) => wake());
  }
}

function receivedAll(ids: string[]): Promise<void> {
  const has = () => ids.every((id) => received.some((e) => e.event_id === id));
  return new Promise((resolve) => {
    const check = () => (has() ? resolve() : waiters.push(check));
    check();
  });
}

describe('Kafka round trip through the Nest transport (real broker)', () => {
  let app: INestApplication;
  let publisher: KafkaEventPublisher;

  beforeAll(async () => {
    await ensureTopics(brokers, [TOPIC]);
    const moduleRef = await Test.createTestingModule({ controllers: [RoundTripHandler] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.connectMicroservice(
      kafkaTransportOptions({
        brokers,
        clientId: 'roundtrip-consumer',
        groupId: `roundtrip-${randomUUID()}`,
      }),
    );
    await app.startAllMicroservices();
    await app.init();
    publisher = new KafkaEventPublisher({ brokers, clientId: 'roundtrip-producer' });
  }, 60_000);

  afterAll(async () => {
    await publisher?.onApplicationShutdown();
    await app?.close();
  });

  it('delivers enveloped events, in order per key, to an @EventPattern handler', async () => {
    const correlationId = randomUUID();
    const envelopes = [1, 2, 3].map((n) =>
      createEnvelope({
        event_type: EVENT_TYPES.ping,
        source_service: 'roundtrip-test',
        correlation_id: correlationId,
        data: { n },
      }),
    );
    await publisher.publishBatch(
      TOPIC,
      envelopes.map((envelope) => ({ topic: TOPIC, key: correlationId, envelope })),
    );
    await receivedAll(envelopes.map((e) => e.event_id));

    const mine = received.filter((e) => e.correlation_id === correlationId);
    expect(mine.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    expect(mine[0]).toMatchObject({
      event_type: 'PlatformPingV1',
      source_service: 'roundtrip-test',
      schema_version: 1,
      correlation_id: correlationId,
    });
  }, 60_000);
});
