import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Kafka, logLevel } from 'kafkajs';
import { HEALTH_OPTIONS, type HealthOptions } from './health-options.js';

/**
 * Kafka reachability: a metadata request on a short-lived admin connection with no retries, so a stopped broker
 * is reported within one probe timeout (a long-lived client would keep retrying and hide the outage).
 */
@Injectable()
export class KafkaHealthIndicator {
  private readonly kafka: Kafka;

  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
  ) {
    this.kafka = new Kafka({
      clientId: 'health-probe',
      brokers: options.kafkaBrokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(1000, options.timeoutMs),
      requestTimeout: options.timeoutMs,
      retry: { retries: 0 },
    });
  }

  check() {
    return this.health
      .check('kafka')
      .attempt(async () => {
        const admin = this.kafka.admin();
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          return { brokers: cluster.brokers.length };
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      })
      .withTimeout(this.options.timeoutMs)
      .cacheFor(this.options.cacheMs);
  }
}
