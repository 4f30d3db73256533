import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { TopicDirectoryUnavailableError, type TopicDirectory } from './topic-directory.js';

export interface KafkaTopicDirectoryOptions {
  brokers: string[];
  /** How long a fetched topic list is trusted. */
  ttlMs?: number;
  /** A topic not in the list triggers a refresh at most this often (a new topic becomes usable quickly). */
  missRefreshMs?: number;
  timeoutMs?: number;
}

/**
 * Topic existence from the broker's metadata (one list request, cached). A stale list is still used while the
 * broker cannot be reached, so a Kafka outage does not refuse requests for topics already known to exist; only a
 * topic never seen is then unanswerable (503).
 */
@Injectable()
export class KafkaTopicDirectory implements TopicDirectory, OnApplicationShutdown {
  private readonly kafka: Kafka;
  private admin?: Admin;
  private known = new Set<string>();
  private fetchedAt = 0;
  private inflight?: Promise<void>;

  constructor(private readonly options: KafkaTopicDirectoryOptions) {
    this.kafka = new Kafka({
      clientId: 'api-topic-directory',
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(1000, options.timeoutMs ?? 2000),
      requestTimeout: options.timeoutMs ?? 2000,
      retry: { retries: 0 },
    });
  }

  async exists(topic: string): Promise<boolean> {
    const age = Date.now() - this.fetchedAt;
    const fresh = age < (this.options.ttlMs ?? 60_000);
    if (fresh && this.known.has(topic)) return true;
    if (!fresh || age >= (this.options.missRefreshMs ?? 2_000)) {
      try {
        await this.refresh();
      } catch (err) {
        if (this.known.has(topic)) return true;
        throw new TopicDirectoryUnavailableError(err);
      }
    }
    return this.known.has(topic);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /** One list request at a time, shared by concurrent callers. */
  private refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        if (!this.admin) {
          const admin = this.kafka.admin();
          await admin.connect();
          this.admin = admin;
        }
        this.known = new Set(await this.admin.listTopics());
        this.fetchedAt = Date.now();
      } catch (err) {
        await this.admin?.disconnect().catch(() => undefined);
        this.admin = undefined;
        throw err;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
