import { Kafka, logLevel } from 'kafkajs';
import { topicNames, type EventEnvelope } from '#contracts';
import { waitFor } from '../../../support/wait-for.js';
import type { CjHarness } from './cj-harness.js';

export interface RequestedObserver {
  /** Every CJAssessmentRequestedV1 record seen, with its size on the wire, in arrival order. */
  readonly requested: Array<{ bytes: number; envelope: EventEnvelope }>;
  /** The first request published for the assessment, once it has arrived. */
  requestOf(assessmentId: string): Promise<{ bytes: number; envelope: EventEnvelope }>;
  stop(): Promise<void>;
}

/** A consumer of its own on the harness's assessment-requested topic: what the api published, as published. */
export async function observeRequested(harness: CjHarness): Promise<RequestedObserver> {
  const kafka = new Kafka({
    clientId: `${harness.prefix}-req`,
    brokers: harness.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${harness.prefix}-requested-observer`, maxWaitTimeInMs: 100 });
  const requested: RequestedObserver['requested'] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topicNames(harness.prefix).assessmentRequested], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      requested.push({
        bytes: message.value.length,
        envelope: JSON.parse(message.value.toString('utf8')) as EventEnvelope,
      });
    },
  });
  const requestOf = async (assessmentId: string) =>
    (await waitFor(
      async () =>
        requested.find((r) => (r.envelope.data as { assessment_id?: string }).assessment_id === assessmentId),
      (found) => found !== undefined,
      { timeoutMs: 30_000, intervalMs: 50, what: `the request of ${assessmentId}` },
    ))!;
  return { requested, requestOf, stop: () => consumer.disconnect() };
}
