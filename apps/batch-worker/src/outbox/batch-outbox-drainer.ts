import { Inject, Injectable, Logger } from '@nestjs/common';
import { OutboxRepository, type DeadLetterReason, type OutboxWriteOutcome } from '#batch-store';
import { AppMetrics, KafkaEventPublisher, kafkaErrorTypes, KafkaTopicCatalog } from '#infra';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { planProduce, sizeEntry, type SizedEntry } from './produce-plan.js';
import { RenewingLock } from './renewing-lock.js';

/** Broker answers that mean "this record can never go there": the record is dead-lettered, not retried. */
const UNDELIVERABLE: Record<string, DeadLetterReason> = {
  INVALID_TOPIC_EXCEPTION: 'topic_invalid',
  TOPIC_AUTHORIZATION_FAILED: 'topic_not_authorized',
};
const TOO_LARGE = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'];

/** Peeks per drain before the slot is given back, so one huge fan-out cannot starve other batches. */
const PEEKS_PER_DRAIN = 5;

export interface DrainResult {
  /** false when another worker holds the batch's lock (nothing was tried). */
  locked: boolean;
  published: number;
  deadLettered: number;
  /** The drain left the outbox empty and cleared its pending mark: nothing to look for until the next append. */
  emptied?: boolean;
}

class LockLost extends Error {}

/** Dead-lettered events of one drain, by reason: logged once per reason when the drain ends. */
type DeadTally = Map<
  DeadLetterReason,
  { count: number; topic: string; detail: string; first: string; correlationId: string }
>;

/**
 * Drains one batch's outbox under its fenced, renewed lock: byte-bounded produce requests in order, each acked
 * by identity once Kafka accepted it; an event that can never be delivered (too large on its own, a topic that
 * does not exist or refuses us) goes to the batch's dead-letter record with its reason, is counted, and is logged
 * once per drain — the events behind it carry on. Anything else (Kafka away, timeouts) throws: the caller retries
 * this batch later while other batches go on.
 */
@Injectable()
export class BatchOutboxDrainer {
  private readonly logger = new Logger(BatchOutboxDrainer.name);

  constructor(
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(KafkaEventPublisher) private readonly kafka: KafkaEventPublisher,
    @Inject(KafkaTopicCatalog) private readonly topics: KafkaTopicCatalog,
    @Inject(AppMetrics) private readonly metrics: AppMetrics,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  async drain(batchId: string, shouldStop: () => boolean = () => false): Promise<DrainResult> {
    const acquired = await RenewingLock.acquire(
      this.outbox,
      batchId,
      this.env.OUTBOX_LOCK_MS,
      this.env.OUTBOX_BATCH_SIZE,
    );
    if (!acquired) return { locked: false, published: 0, deadLettered: 0 };
    const { lock } = acquired;
    const result: DrainResult = { locked: true, published: 0, deadLettered: 0 };
    const dead: DeadTally = new Map();
    try {
      // The removal that leaves the outbox empty releases the lock and clears the mark: the drain is over, no
      // second peek (it would only find the outbox empty).
      for (let peek = 0; peek < PEEKS_PER_DRAIN && !shouldStop() && lock.held; peek++) {
        // The first peek came with the lock.
        const entries =
          peek === 0 ? acquired.head : await this.outbox.peekEntries(batchId, this.env.OUTBOX_BATCH_SIZE);
        if (entries.length === 0) {
          // Marked but empty (the mark is set after appends and cleared after acks, apart from each other).
          result.emptied = await this.outbox.unmarkIfEmpty(batchId);
          break;
        }
        for (const step of planProduce(entries.map(sizeEntry), this.env.OUTBOX_MAX_REQUEST_BYTES)) {
          if (lock.lost) throw new LockLost();
          if (step.kind === 'too_large') {
            const detail = `event of ~${step.entry.bytes} bytes exceeds OUTBOX_MAX_REQUEST_BYTES=${this.env.OUTBOX_MAX_REQUEST_BYTES}`;
            await this.deadLetter(lock, [step.entry], 'too_large', detail, dead, result);
          } else {
            await this.publish(lock, step.topic, step.entries, dead, result);
          }
        }
      }
    } catch (err) {
      if (!(err instanceof LockLost)) throw err;
    } finally {
      await lock.release();
      this.logDeadLetters(batchId, dead);
    }
    return result;
  }

  private async publish(
    lock: RenewingLock,
    topic: string,
    entries: SizedEntry[],
    dead: DeadTally,
    result: DrainResult,
  ): Promise<void> {
    if (!(await this.topics.exists(topic))) {
      await this.deadLetter(
        lock,
        entries,
        'topic_not_found',
        `topic "${topic}" does not exist`,
        dead,
        result,
      );
      return;
    }
    try {
      await this.kafka.publishSerialized(
        topic,
        entries.map((e) => ({ key: e.entry.key, value: e.value })),
        entries.reduce((sum, e) => sum + e.bytes, 0),
      );
    } catch (err) {
      const types = kafkaErrorTypes(err);
      const detail = `broker: ${[...types].join(', ') || (err as Error).message}`;
      if (TOO_LARGE.some((t) => types.has(t))) {
        // The broker's limit is below our estimate (a lower message.max.bytes): halve until one record is left.
        if (entries.length === 1) return this.deadLetter(lock, entries, 'too_large', detail, dead, result);
        const half = Math.ceil(entries.length / 2);
        await this.publish(lock, topic, entries.slice(0, half), dead, result);
        await this.publish(lock, topic, entries.slice(half), dead, result);
        return;
      }
      const reason = [...types].map((t) => UNDELIVERABLE[t]).find(Boolean);
      if (reason) return this.deadLetter(lock, entries, reason, detail, dead, result);
      throw err;
    }
    this.check(
      lock,
      await this.outbox.ack(
        lock.batchId,
        lock.token,
        entries.map((e) => e.entry),
      ),
      result,
    );
    result.published += entries.length;
    this.metrics.outboxPublished.inc(entries.length);
  }

  private async deadLetter(
    lock: RenewingLock,
    entries: SizedEntry[],
    reason: DeadLetterReason,
    detail: string,
    dead: DeadTally,
    result: DrainResult,
  ): Promise<void> {
    for (const sized of entries) {
      this.check(
        lock,
        await this.outbox.deadLetter(lock.batchId, lock.token, sized.entry, reason, detail),
        result,
      );
      result.deadLettered += 1;
      this.metrics.outboxDeadLettered.inc({ reason });
      const seen = dead.get(reason);
      if (seen) seen.count += 1;
      else
        dead.set(reason, {
          count: 1,
          topic: sized.entry.topic,
          detail,
          first: sized.entry.message.envelope.event_id,
          correlationId: sized.entry.message.envelope.correlation_id,
        });
    }
  }

  /** Throws when the lock was lost; notes a removal that emptied the outbox (and released the lock with it). */
  private check(lock: RenewingLock, outcome: OutboxWriteOutcome, result: DrainResult): void {
    if ('refused' in outcome) throw new LockLost(outcome.refused);
    if (outcome.remaining > 0) return;
    lock.releasedByStore();
    result.emptied = !outcome.refilled;
  }

  private logDeadLetters(batchId: string, dead: DeadTally): void {
    for (const [reason, d] of dead) {
      this.logger.warn({
        msg: 'outbox: undeliverable events moved to the dead-letter record',
        code: 'OUTBOX_DEAD_LETTER',
        batch_id: batchId,
        correlation_id: d.correlationId,
        reason,
        topic: d.topic,
        count: d.count,
        first_event_id: d.first,
        detail: d.detail,
      });
    }
  }
}
