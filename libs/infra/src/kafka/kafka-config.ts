import { Transport, type KafkaOptions } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { KeyedPartitioner } from './keyed-partitioner.js';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Consumer group (omit for emit-only clients). */
  groupId?: string;
}

export function parseBrokers(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * Transport options for Nest's Kafka client and server. Short waits keep shutdown and tests fast; topics are
 * never auto-created (a typo fails instead of creating a topic).
 */
export function kafkaTransportOptions(settings: KafkaSettings): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      client: {
        clientId: settings.clientId,
        brokers: settings.brokers,
        logLevel: logLevel.WARN,
        connectionTimeout: 3000,
        retry: { initialRetryTime: 100, retries: 8 },
      },
      // Nest reads defaults only when the key is absent, so an emit-only client gets no `consumer` key at all.
      ...(settings.groupId
        ? {
            consumer: {
              groupId: settings.groupId,
              allowAutoTopicCreation: false,
              sessionTimeout: 10000,
              heartbeatInterval: 1000,
              maxWaitTimeInMs: 200,
              retry: { initialRetryTime: 100, retries: 8 },
            },
          }
        : {}),
      // The default (murmur2, Java-compatible) placement, with each key's partition remembered (KeyedPartitioner);
      // chosen explicitly, so kafkajs does not warn at start either.
      producer: {
        allowAutoTopicCreation: false,
        idempotent: false,
        createPartitioner: KeyedPartitioner,
      },
      producerOnlyMode: !settings.groupId,
      subscribe: { fromBeginning: true },
      run: { autoCommit: true },
      postfixId: '',
    },
  };
}
