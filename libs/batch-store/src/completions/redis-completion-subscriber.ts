import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { duplicateClient, REDIS_CLIENT } from '#infra';
import type { Redis } from 'ioredis';
import { BatchKeys } from '../batch-keys.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from '../batch-store.options.js';
import { CompletionWatchers } from './completion-watchers.js';
import { parseTerminalMessage } from './terminal-message.js';

const SUBSCRIBE_WAIT_MS = 2000;

/**
 * Listens, on its own Redis connection (a subscribed connection can run no other command), to the channel every
 * terminal transition publishes on, and wakes the requests waiting for that batch (handing them the finished
 * batch when the message carries it). Pub/sub is at-most-once: a
 * message published while this connection is down is lost, so waiters also re-read on a timer.
 */
@Injectable()
export class RedisCompletionSubscriber implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('RedisCompletionSubscriber');
  private readonly channel: string;
  private subscriber?: Redis;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
    @Inject(CompletionWatchers) private readonly watchers: CompletionWatchers,
  ) {
    this.channel = new BatchKeys(resolvedKeyPrefix(options)).terminalChannel();
  }

  async onModuleInit(): Promise<void> {
    // ioredis re-subscribes by itself after a reconnect (autoResubscribe).
    const subscriber = duplicateClient(this.redis, {
      connectionName: 'completions',
      maxRetriesPerRequest: null,
    });
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      const { batchId, payload } = parseTerminalMessage(message);
      this.watchers.notify(batchId, payload);
    });
    subscriber.on('error', (err: Error) =>
      this.logger.warn({ msg: 'completion subscriber connection error', error: err.message }),
    );
    // Bounded: with Redis away the app still starts, and held requests re-read their batch until the
    // subscription is in place.
    const subscribed = subscriber.subscribe(this.channel).then(
      () => true,
      (err: Error) => {
        this.logger.warn({ msg: 'completion subscription failed', error: err.message });
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), SUBSCRIBE_WAIT_MS);
    });
    await Promise.race([subscribed, timeout]);
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.subscriber) return;
    await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
  }
}
