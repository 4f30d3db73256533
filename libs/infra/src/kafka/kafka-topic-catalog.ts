import type { OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel, type Admin } from 'kafkajs';

/**
 * Answers "does this topic exist on the broker?" from one long-lived admin connection, cached for `ttlMs`.
 * A topic reported missing is looked up once more without the cache before the answer is trusted. Never creates
 * a topic. Throws when the broker cannot be asked (the caller retries later; absence is only ever a real answer).
 */
export class KafkaTopicCatalog implements OnApplicationShutdown {
  private readonly kafka: Kafka;
  private admin?: Admin;
  private connecting?: Promise<Admin>;
  private topics?: { names: Set<string>; at: number };

  constructor(
    brokers: string[],
    private readonly ttlMs = 5_000,
  ) {
    this.kafka = new Kafka({
      clientId: 'topic-catalog',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 2, initialRetryTime: 100 },
    });
  }

  async exists(topic: string): Promise<boolean> {
    const cached = this.topics;
    if (cached && Date.now() - cached.at < this.ttlMs && cached.names.has(topic)) return true;
    return (await this.refresh()).has(topic);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async refresh(): Promise<Set<string>> {
    const admin = await this.connected();
    try {
      const names = new Set(await admin.listTopics());
      this.topics = { names, at: Date.now() };
      return names;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private connected(): Promise<Admin> {
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      return admin;
    })().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }
}
