// Creates the platform topics under KAFKA_TOPIC_PREFIX (broker auto-creation is off).
import { allTopics, DEFAULT_TOPIC_PREFIX } from '#contracts';
// Direct file imports: the lib's index pulls in Nest decorators, which need no loading here.
import { ensureTopics } from '../libs/infra/src/kafka/kafka-admin.js';
import { parseBrokers } from '../libs/infra/src/kafka/kafka-config.js';

const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
const prefix = process.env.KAFKA_TOPIC_PREFIX || DEFAULT_TOPIC_PREFIX;
const created = await ensureTopics(brokers, allTopics(prefix));
process.stderr.write(
  `[services] topics under "${prefix}": ${created.length ? `created ${created.join(', ')}` : 'all present'}\n`,
);
