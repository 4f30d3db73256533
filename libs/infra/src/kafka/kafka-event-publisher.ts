import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import type { EventEnvelope } from '#contracts';
import { lastValueFrom } from 'rxjs';
import { kafkaTransportOptions, type KafkaSettings } from './kafka-config.js';

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

/**
 * Emits enveloped events through Nest's Kafka transport (emit-only client). Connects lazily, so an app starts
 * while Kafka is down; a failed publish throws and the caller decides (the worker's outbox retries).
 */
@Injectable()
export class KafkaEventPublisher implements OnApplicationShutdown {
  private readonly client: ClientKafka;
  private connecting?: Promise<unknown>;

  constructor(settings: KafkaSettings) {
    this.client = new ClientKafka(kafkaTransportOptions({ ...settings, groupId: undefined }).options ?? {});
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
  async publishSerialized(topic: string, messages: SerializedEvent[]): Promise<void> {
    if (messages.length === 0) return;
    await this.ensureConnected();
    await lastValueFrom(this.client.emitBatch(topic, { messages }), { defaultValue: undefined });
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
