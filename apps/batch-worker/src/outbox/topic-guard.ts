import { Inject, Injectable } from '@nestjs/common';
import { ensureTopics, parseBrokers } from '#infra';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';

/** Creates a callback topic the first time it is used (broker auto-creation is off); remembers known ones. */
@Injectable()
export class TopicGuard {
  private readonly known = new Set<string>();

  constructor(@Inject(WORKER_ENV) private readonly env: WorkerEnv) {}

  async ensure(topic: string): Promise<void> {
    if (this.known.has(topic)) return;
    await ensureTopics(parseBrokers(this.env.KAFKA_BROKERS), [topic]);
    this.known.add(topic);
  }
}
