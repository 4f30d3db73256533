import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  allTopics,
  createEnvelope,
  EVENT_TYPES,
  type CJAssessmentRequestedV1,
  type EventEnvelope,
} from '#contracts';
import { ensureTopics, kafkaTransportOptions, loadConfig, parseBrokers } from '#infra';
import { waitFor } from '../../../support/wait-for.js';
import { FakeComparisonService } from './fake-comparison-service.js';

export const API_KEY = 'cj-integration-test-key-0001';

/**
 * The CJ app (Nest testing module + Kafka microservice, real Redis and Kafka) wired to a fake comparison service,
 * with a test consumer that records every outcome event. Topics live under a prefix unique to the run.
 */
export class CjHarness {
  readonly brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
  readonly prefix = `cjit${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  readonly fake = new FakeComparisonService(this.brokers, API_KEY);
  readonly outcomes: EventEnvelope[] = [];
  app?: INestApplication;
  private producer?: Producer;
  private consumer?: Consumer;

  private fakeStarted = false;

  /** `apiBaseUrl`: a real comparison service to call; without it the fake one is started. */
  async start(envOverrides: Record<string, string> = {}, apiBaseUrl?: string): Promise<void> {
    process.env.KAFKA_TOPIC_PREFIX = this.prefix;
    delete process.env.CJ_CALLBACK_TOPIC;
    await ensureTopics(this.brokers, allTopics(this.prefix));
    this.fakeStarted = !apiBaseUrl;
    const baseUrl = apiBaseUrl ?? (await this.fake.start());

    // Imported now: the Kafka handlers read their topics from the environment when the module is loaded.
    const { CjModule } = await import('../../../../apps/cj-integration/src/cj.module.js');
    const { CjEnv } = await import('../../../../apps/cj-integration/src/config/cj-env.js');
    const { SUBSCRIBED_TOPICS } = await import('../../../../apps/cj-integration/src/kafka/cj-topics.js');
    if (!SUBSCRIBED_TOPICS.requested.startsWith(`${this.prefix}.`)) {
      throw new Error(
        'one CjHarness per test file: the CJ module was already loaded with another topic prefix',
      );
    }
    const env = loadConfig(CjEnv, {
      KAFKA_BROKERS: this.brokers.join(','),
      KAFKA_TOPIC_PREFIX: this.prefix,
      CJ_API_BASE_URL: baseUrl,
      CJ_API_KEY: API_KEY,
      CJ_KAFKA_GROUP_ID: `${this.prefix}-cj`,
      CJ_DEADLINE_CHECK_INTERVAL_MS: '250',
      CJ_API_RETRY_FOR_MS: '1000',
      CJ_API_BACKOFF_MS: '50',
      CJ_RESUME_INTERVAL_MS: '500',
      ...envOverrides,
    });
    const moduleRef = await Test.createTestingModule({ imports: [CjModule.forRoot(env)] }).compile();
    this.app = moduleRef.createNestApplication({ logger: ['error'] });
    this.app.connectMicroservice(
      kafkaTransportOptions({ brokers: this.brokers, clientId: 'cj-it', groupId: env.CJ_KAFKA_GROUP_ID }),
    );
    await this.app.startAllMicroservices();
    await this.app.init();

    const kafka = new Kafka({ clientId: 'cj-it-client', brokers: this.brokers, logLevel: logLevel.NOTHING });
    this.producer = kafka.producer();
    await this.producer.connect();
    this.consumer = kafka.consumer({ groupId: `${this.prefix}-outcomes`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    const topics = allTopics(this.prefix).filter((t) => /cj_assessment\.(completed|failed)/.test(t));
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) this.outcomes.push(JSON.parse(message.value.toString('utf8')) as EventEnvelope);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.app?.close();
    if (this.fakeStarted) await this.fake.stop();
  }

  requestEnvelope(data: CJAssessmentRequestedV1 | Record<string, unknown>): EventEnvelope {
    return createEnvelope({
      event_type: EVENT_TYPES.assessmentRequested,
      source_service: 'cj-it',
      correlation_id: `corr-${String(data.assessment_id)}`,
      data,
    });
  }

  async send(envelope: EventEnvelope): Promise<void> {
    const topic = allTopics(this.prefix).find((t) => t.endsWith('.els.cj_assessment.requested.v1'))!;
    const key = String((envelope.data as { assessment_id?: unknown }).assessment_id ?? envelope.event_id);
    await this.producer!.send({ topic, messages: [{ key, value: JSON.stringify(envelope) }] });
  }

  /** Publishes raw bytes (not necessarily JSON, not necessarily an envelope) to the request topic. */
  async sendRaw(value: string | Buffer | null, key: string): Promise<void> {
    const topic = allTopics(this.prefix).find((t) => t.endsWith('.els.cj_assessment.requested.v1'))!;
    await this.producer!.send({ topic, messages: [{ key, value }] });
  }

  /** The first outcome event carrying `correlationId` (refusals of requests without a usable assessment id). */
  async outcomeByCorrelation<T>(correlationId: string, timeoutMs = 30_000): Promise<EventEnvelope<T>> {
    const found = await waitFor(
      async () => this.outcomes.find((e) => e.correlation_id === correlationId),
      (e) => e !== undefined,
      { timeoutMs, intervalMs: 50, what: `outcome with correlation id ${correlationId}` },
    );
    return found as EventEnvelope<T>;
  }

  /** Publishes raw envelopes to any topic (e.g. a forged result on the callback topic). */
  async publish(topic: string, envelopes: EventEnvelope[], key: string): Promise<void> {
    await this.producer!.send({ topic, messages: envelopes.map((e) => ({ key, value: JSON.stringify(e) })) });
  }

  /** The assessment's outcome events (completed or failed), without the ranking parts sent before a large one. */
  outcomesFor(assessmentId: string): EventEnvelope[] {
    return this.eventsFor(assessmentId).filter((e) => e.event_type !== EVENT_TYPES.assessmentRankingsPart);
  }

  /** Every event on the outcome topics for the assessment, in arrival order. */
  eventsFor(assessmentId: string): EventEnvelope[] {
    return this.outcomes.filter((e) => (e.data as { assessment_id?: string }).assessment_id === assessmentId);
  }

  async outcome<T>(assessmentId: string, timeoutMs = 30_000): Promise<EventEnvelope<T>> {
    const found = await waitFor(
      async () => this.outcomesFor(assessmentId)[0],
      (e) => e !== undefined,
      { timeoutMs, intervalMs: 50, what: `outcome of ${assessmentId}` },
    );
    return found as EventEnvelope<T>;
  }
}
