// Exit 0 when the broker in KAFKA_BROKERS answers a metadata request, 1 otherwise.
import { Kafka, logLevel } from 'kafkajs';

const kafka = new Kafka({
  clientId: 'services-ping',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 2000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.describeCluster();
  await admin.disconnect();
  process.exit(0);
} catch {
  process.exit(1);
}
