import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';

/** Creates missing topics (auto-creation is off on the broker). Safe to call repeatedly. */
export async function ensureTopics(
  brokers: string[],
  topics: string[],
  options: { partitions?: number } = {},
): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'topic-setup', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing: ITopicConfig[] = topics
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions: options.partitions ?? 3, replicationFactor: 1 }));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
