import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { EventEnvelope } from '#contracts';
import { ensureTopics } from '#infra';
import { waitFor } from './batch-factory.js';

export interface ReadMessage {
  key: string;
  partition: number;
  offset: number;
  envelope: EventEnvelope<Record<string, unknown>>;
}

/** A separate kafkajs consumer (its own group, from the beginning) that collects every message of a topic. */
export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topic: string): Promise<TopicReader> {
    const kafka = new Kafka({ clientId: 'worker-test-reader', brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({
      groupId: `worker-test-${randomUUID()}`,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      retry: { initialRetryTime: 100, retries: 20 },
    });
    const reader = new TopicReader(consumer);
    // The worker creates a callback topic when it first publishes to it; a reader may start before that.
    await ensureTopics(brokers, [topic]);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        reader.messages.push({
          key: message.key?.toString() ?? '',
          partition,
          offset: Number(message.offset),
          envelope: JSON.parse(message.value?.toString() ?? '{}') as ReadMessage['envelope'],
        });
      },
    });
    return reader;
  }

  /** Waits until messages with `count` distinct event ids arrived (duplicates are allowed: at-least-once). */
  async waitForDistinct(count: number, timeoutMs = 30_000): Promise<ReadMessage[]> {
    return waitFor(
      `${count} distinct events`,
      () =>
        new Set(this.messages.map((m) => m.envelope.event_id)).size >= count ? this.messages : undefined,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
