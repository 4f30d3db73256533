import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import type { EventEnvelope } from '#contracts';
import { kafkaTransportOptions, type KafkaSettings } from './kafka-config.js';
import { ProduceCoalescer, type TopicRecords } from './produce-coalescer.js';

export interface PublishableEvent {
  topic: string;
  /** Messages with the same key go to the same partition, so their order is kept. */
  key: string;
  envelope: EventEnvelope;
}

/** A record ready for Kafka: the key and the envelope's JSON text. */
export interface SerializedEvent {
  key: string;
  value: string;
}

/** A produce round's default byte bound: below the broker's default message.max.bytes (1 MiB). */
const DEFAULT_MAX_ROUND_BYTES = 900_000;

/**
 * Emits enveloped events through the producer of Nest's Kafka transport (emit-only client). Publishes made in the
 * same event-loop turn leave in one produce request (ProduceCoalescer), up to `maxRoundBytes`. Connects lazily, so
 * an app starts while Kafka is down; a failed publish throws and the caller decides (the worker's outbox retries).
 */
@Injectable()
export class KafkaEventPublisher implements OnApplicationShutdown {
  private readonly client: ClientKafka;
  private readonly coalescer: ProduceCoalescer<SerializedEvent>;
  private connecting?: Promise<unknown>;

  constructor(settings: KafkaSettings, options: { maxRoundBytes?: number } = {}) {
    this.client = new ClientKafka(kafkaTransportOptions({ ...settings, groupId: undefined }).options ?? {});
    this.coalescer = new ProduceCoalescer(
      (round) => this.sendRound(round),
      options.maxRoundBytes ?? DEFAULT_MAX_ROUND_BYTES,
    );
  }

  async publish(event: PublishableEvent): Promise<void> {
    await this.publishBatch(event.topic, [event]);
  }

  /** Sends several events to one topic in a single produce request, in the given order. */
  async publishBatch(topic: string, events: PublishableEvent[]): Promise<void> {
    await this.publishSerialized(
      topic,
      events.map((e) => ({ key: e.key, value: JSON.stringify(e.envelope) })),
    );
  }

  /**
   * Sends already serialized records to one topic in a single produce request, in order. The caller bounds the
   * request's bytes (the broker refuses a record batch above `message.max.bytes`).
   */
  async publishSerialized(
    topic: string,
    messages: SerializedEvent[],
    /** Their size when the caller measured it already (the outbox drainer plans its requests by it). */
    knownBytes?: number,
  ): Promise<void> {
    if (messages.length === 0) return;
    let bytes = knownBytes ?? 0;
    if (knownBytes === undefined)
      for (const m of messages) bytes += Buffer.byteLength(m.value) + Buffer.byteLength(m.key);
    await this.coalescer.publish(topic, messages, bytes);
  }

  /** One produce round: the records of every topic in it, sent together (kafkajs: one request per broker). */
  protected async sendRound(round: Array<TopicRecords<SerializedEvent>>): Promise<void> {
    await this.ensureConnected();
    await this.client.producer.sendBatch({ topicMessages: round });
  }

  private async ensureConnected(): Promise<void> {
    this.connecting ??= this.client.connect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    await this.connecting;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close().catch(() => undefined);
  }
}
