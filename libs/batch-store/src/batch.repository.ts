import { Inject, Injectable } from '@nestjs/common';
import type { ComparisonRequest } from '#contracts';
import { REDIS_CLIENT } from '#infra';
import type { ProviderBatchRef } from '#llm-providers';
import type { Redis } from 'ioredis';
import { BatchKeys } from './batch-keys.js';
import {
  CREATE_SCRIPT,
  REQUEST_CANCEL_SCRIPT,
  STORE_RESULTS_SCRIPT,
  TRANSITION_SCRIPT,
} from './batch-scripts.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';
import {
  ACTIVE_STATUSES,
  isTerminal,
  TERMINAL_STATUSES,
  isEssayContent,
  type BatchContent,
  type BatchPatch,
  type EssayRefComparison,
  type BatchRecord,
  type BatchStatus,
  type NewBatchRecord,
  type OutboxMessage,
  type StoredComparison,
  type StoredResult,
} from './batch.types.js';
import { BatchNotFoundError } from './errors/batch-not-found.error.js';
import { TenantLoadStore } from './tenant-load.store.js';
import { IdempotencyConflictError } from './errors/idempotency-conflict.error.js';

const WRITE_CHUNK = 500;
/** Items per read of a batch's comparisons (and essays per HMGET) in getRequests. */
const READ_PAGE = 2_000;
/** Batches up to this size pass their requests to the create script directly (no staging list). */
const INLINE_REQUESTS = 16;
const STAGING_TTL_SECONDS = 3600;
const MAX_CAS_ATTEMPTS = 50;
const TERMINAL_CSV = TERMINAL_STATUSES.join(',');

/**
 * Batches in Redis. Every state change is one Lua script (atomic); writes are safe to repeat, so a worker that
 * runs a step twice changes nothing the second time.
 */
@Injectable()
export class BatchRepository {
  readonly keys: BatchKeys;
  /** Per-tenant request rate and comparisons in flight (released here when a batch becomes terminal). */
  readonly tenantLoad: TenantLoadStore;
  private readonly retentionSeconds: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
    this.tenantLoad = new TenantLoadStore(redis, resolvedKeyPrefix(options));
    this.retentionSeconds = options.retentionSeconds;
  }

  /**
   * Stores a new batch and its requests, atomically with its idempotency key: the same key with the same
   * request_hash returns the existing batch (created false); with another hash it throws IdempotencyConflictError.
   */
  async create(
    record: NewBatchRecord,
    content: BatchContent,
  ): Promise<{ batch: BatchRecord; created: boolean }> {
    const id = record.batch_id;
    const full: BatchRecord = {
      ...record,
      status: record.status ?? 'queued',
      counts: { succeeded: 0, failed: 0, pending: record.comparison_count },
      cost_usd: 0,
      individual_cost_usd: 0,
    };
    const staging = this.keys.staging(id);
    const essaysStaging = this.keys.essaysStaging(id);
    const essayForm = isEssayContent(content);
    const items: Array<ComparisonRequest | EssayRefComparison> = essayForm ? content.comparisons : content;
    // A small inline batch (every individual request) travels inside the create script: one round trip in all.
    // Anything larger is staged in chunks first, so no single command carries megabytes.
    const inline = !essayForm && items.length <= INLINE_REQUESTS ? items.map((r) => JSON.stringify(r)) : [];
    if (inline.length === 0) {
      await this.redis.del(staging, essaysStaging);
      for (let i = 0; i < items.length; i += WRITE_CHUNK) {
        const chunk = items.slice(i, i + WRITE_CHUNK).map((r) => JSON.stringify(r));
        await this.redis
          .multi()
          .rpush(staging, ...chunk)
          .expire(staging, STAGING_TTL_SECONDS)
          .exec();
      }
    }
    // Essay-referencing form: each essay's text once per batch, however many comparisons name it.
    const essays = essayForm ? content.essays : [];
    for (let i = 0; i < essays.length; i += WRITE_CHUNK) {
      const fields = essays.slice(i, i + WRITE_CHUNK).flatMap((e) => [e.essay_id, e.text]);
      await this.redis
        .multi()
        .hset(essaysStaging, ...fields)
        .expire(essaysStaging, STAGING_TTL_SECONDS)
        .exec();
    }
    const idemKey = record.idempotency_key
      ? this.keys.idempotency(record.idempotency_key)
      : this.keys.record(id);
    const [outcome, batchId] = (await CREATE_SCRIPT.run(
      this.redis,
      [
        this.keys.record(id),
        this.keys.requests(id),
        staging,
        idemKey,
        this.keys.active(),
        essaysStaging,
        this.keys.essays(id),
      ],
      [
        id,
        JSON.stringify(full),
        full.status,
        full.request_hash,
        record.idempotency_key ? '1' : '0',
        this.keys.recordPrefix(),
        essayForm ? '1' : '0',
        essayForm ? content.user_prompt : '',
        ...inline,
      ],
    )) as [string, string];
    if (outcome === 'conflict') throw new IdempotencyConflictError(record.idempotency_key ?? id, batchId);
    // A new batch is exactly what was written: no read back (one round trip less on every acceptance).
    if (outcome === 'created') return { batch: { ...full, cancel_requested: false }, created: true };
    const batch = await this.get(batchId);
    if (!batch) throw new BatchNotFoundError(batchId);
    return { batch, created: outcome === 'created' };
  }

  async get(batchId: string): Promise<BatchRecord | null> {
    return (await this.read(batchId))?.record ?? null;
  }

  /**
   * The batch's comparisons in input order, each with its index. Read in pages of READ_PAGE items (a 100,000-item
   * batch never arrives as one reply). A batch stored in the essay-referencing form is resolved here: each page
   * fetches only the essays not yet read, and the returned items share one string per essay, so memory stays one
   * copy per essay.
   */
  async getRequests(batchId: string): Promise<StoredComparison[]> {
    const key = this.keys.requests(batchId);
    const out: StoredComparison[] = [];
    const essays = new Map<string, string>();
    let prompt: string | null | undefined;
    for (let start = 0; ; start += READ_PAGE) {
      const raw = await this.redis.lrange(key, start, start + READ_PAGE - 1);
      if (raw.length === 0) break;
      const items = raw.map((json) => JSON.parse(json) as ComparisonRequest | EssayRefComparison);
      if (!('essay_a_id' in items[0])) {
        for (const item of items as ComparisonRequest[]) out.push({ ...item, index: out.length });
      } else {
        prompt ??= await this.redis.hget(this.keys.record(batchId), 'prompt');
        await this.loadEssays(batchId, items as EssayRefComparison[], essays);
        for (const item of items as EssayRefComparison[]) {
          const essayA = essays.get(item.essay_a_id);
          const essayB = essays.get(item.essay_b_id);
          if (essayA === undefined || essayB === undefined || prompt === null) {
            throw new Error(
              `Batch ${batchId}: comparison ${item.comparison_id} names an essay that is not stored`,
            );
          }
          out.push({
            comparison_id: item.comparison_id,
            user_prompt: prompt,
            essay_a: essayA,
            essay_b: essayB,
            ...(item.metadata !== undefined ? { metadata: item.metadata } : {}),
            index: out.length,
          });
        }
      }
      if (raw.length < READ_PAGE) break;
    }
    return out;
  }

  /** Adds to `essays` the texts of the essays `items` name that it does not hold yet (HMGET in slices). */
  private async loadEssays(
    batchId: string,
    items: EssayRefComparison[],
    essays: Map<string, string>,
  ): Promise<void> {
    const wanted = new Set<string>();
    for (const item of items) {
      if (!essays.has(item.essay_a_id)) wanted.add(item.essay_a_id);
      if (!essays.has(item.essay_b_id)) wanted.add(item.essay_b_id);
    }
    const ids = [...wanted];
    for (let i = 0; i < ids.length; i += READ_PAGE) {
      const slice = ids.slice(i, i + READ_PAGE);
      const texts = await this.redis.hmget(this.keys.essays(batchId), ...slice);
      slice.forEach((id, j) => {
        const text = texts[j];
        if (text !== null) essays.set(id, text);
      });
    }
  }

  /**
   * Moves the batch to `to` when its status is one of `allowedFrom`, applying `patch`; `events` go to the outbox
   * in the same atomic write. Returns the updated record, or null when the status did not allow it.
   */
  async transition(
    batchId: string,
    allowedFrom: BatchStatus[],
    to: BatchStatus,
    patch: BatchPatch = {},
    events: OutboxMessage[] = [],
  ): Promise<BatchRecord | null> {
    return this.compareAndSet(batchId, allowedFrom, () => ({ to, patch, events }));
  }

  /**
   * Like `transition`, with the target, patch and events computed from the record as read in the same attempt
   * (one read fewer than get + transition when the change depends on fresh counts). Returns null when the status
   * is not in `allowedFrom` or the batch is gone.
   */
  async transitionFrom(
    batchId: string,
    allowedFrom: readonly BatchStatus[],
    change: (current: BatchRecord) => { to: BatchStatus; patch?: BatchPatch; events?: OutboxMessage[] },
  ): Promise<BatchRecord | null> {
    return this.compareAndSet(batchId, allowedFrom, (current) => {
      const { to, patch = {}, events = [] } = change(current);
      return { to, patch, events };
    });
  }

  /** Persists the (growing) provider batch reference; called before any wait on the provider. */
  async saveProviderRef(batchId: string, ref: ProviderBatchRef): Promise<BatchRecord | null> {
    return this.compareAndSet(batchId, ACTIVE_STATUSES, (current) => ({
      to: current.status,
      patch: { provider_ref: ref },
    }));
  }

  /**
   * Counts a provider submission as started, before its first create call (compare-and-set, like every write).
   * Returns the updated record, or null when the batch is gone or no longer active.
   */
  async markSubmitAttempt(batchId: string): Promise<BatchRecord | null> {
    return this.compareAndSet(batchId, ACTIVE_STATUSES, (current) => ({
      to: current.status,
      patch: { submit_attempts: (current.submit_attempts ?? 0) + 1 },
    }));
  }

  /**
   * Stores results, once per index (a repeated index is ignored, counts stay right). `events[i]`, when given, is
   * enqueued in the outbox only if `results[i]` was newly stored. Returns how many were new.
   */
  async storeResults(batchId: string, results: StoredResult[], events?: OutboxMessage[]): Promise<number> {
    let stored = 0;
    for (let i = 0; i < results.length; i += WRITE_CHUNK) {
      const args: Array<string | number> = [batchId, 0, TERMINAL_CSV];
      const chunk = results.slice(i, i + WRITE_CHUNK);
      chunk.forEach((item, j) => {
        // null = unknown price (an unlisted model): kept apart so the batch total is unknown too, never 0.
        const cost = item.result.cost_estimate;
        const individual = item.individual_cost_usd === undefined ? cost : item.individual_cost_usd;
        const event = events?.[i + j];
        args.push(
          item.index,
          JSON.stringify(item),
          item.result.error_detail ? '0' : '1',
          String(cost),
          String(individual),
          event ? JSON.stringify(event) : '',
        );
      });
      args[1] = chunk.length;
      const outcome = (await STORE_RESULTS_SCRIPT.run(
        this.redis,
        [
          this.keys.record(batchId),
          this.keys.results(batchId),
          this.keys.outbox(batchId),
          this.keys.outboxPending(),
        ],
        args,
      )) as number;
      if (outcome === -2) throw new BatchNotFoundError(batchId);
      if (outcome === -3) throw new Error(`Batch ${batchId} is terminal; results can no longer be stored`);
      stored += outcome;
    }
    return stored;
  }

  /** Stored results with index in [offset, offset + limit), in input order (pending indexes are absent). */
  async getResults(batchId: string, offset = 0, limit = 100): Promise<StoredResult[]> {
    if (limit <= 0) return [];
    const indexes = Array.from({ length: limit }, (_, i) => String(offset + i));
    const raw = await this.redis.hmget(this.keys.results(batchId), ...indexes);
    return raw
      .filter((json): json is string => json !== null)
      .map((json) => JSON.parse(json) as StoredResult);
  }

  /** Indexes that already have a result (a resumed run skips them). */
  async storedIndexes(batchId: string): Promise<Set<number>> {
    const keys = await this.redis.hkeys(this.keys.results(batchId));
    return new Set(keys.map(Number));
  }

  /**
   * Asks the worker to cancel. Returns the record (with cancel_requested) or null when the batch does not exist;
   * a terminal batch is returned unchanged.
   */
  async requestCancel(batchId: string): Promise<BatchRecord | null> {
    const outcome = (await REQUEST_CANCEL_SCRIPT.run(
      this.redis,
      [this.keys.record(batchId)],
      [TERMINAL_CSV],
    )) as number;
    if (outcome === -2) return null;
    return this.get(batchId);
  }

  async isCancelRequested(batchId: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.record(batchId), 'cancel')) === '1';
  }

  /** Batches not yet terminal (the worker re-enqueues them at start, in case an enqueue was lost). */
  async listActive(): Promise<string[]> {
    return this.redis.smembers(this.keys.active());
  }

  private async compareAndSet(
    batchId: string,
    allowedFrom: readonly BatchStatus[],
    change: (current: BatchRecord) => { to: BatchStatus; patch: BatchPatch; events?: OutboxMessage[] },
  ): Promise<BatchRecord | null> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.read(batchId);
      if (!current) return null;
      if (!allowedFrom.includes(current.record.status)) return null;
      const { to, patch, events = [] } = change(current.record);
      const next: BatchRecord = { ...current.record, ...patch, status: to };
      const { counts: _counts, cancel_requested: _cancel, ...stored } = next;
      void _counts;
      void _cancel;
      const idemKey = next.idempotency_key
        ? this.keys.idempotency(next.idempotency_key)
        : this.keys.record(batchId);
      const outcome = (await TRANSITION_SCRIPT.run(
        this.redis,
        [
          this.keys.record(batchId),
          this.keys.requests(batchId),
          this.keys.results(batchId),
          idemKey,
          this.keys.active(),
          this.keys.outbox(batchId),
          this.keys.outboxPending(),
          this.keys.essays(batchId),
        ],
        [
          allowedFrom.join(','),
          to,
          current.rev,
          JSON.stringify(stored),
          isTerminal(to) ? '1' : '0',
          this.retentionSeconds,
          batchId,
          events.length,
          ...events.map((e) => JSON.stringify(e)),
          this.keys.terminalChannel(),
        ],
      )) as number;
      // Applied: the record is what was just written (counts as read in this same attempt); a terminal batch
      // gives its comparisons back to its tenant's in-flight allowance.
      if (outcome === 1) {
        if (isTerminal(to) && next.tenant_id) await this.tenantLoad.release(next.tenant_id, batchId);
        return next;
      }
      if (outcome === 0 || outcome === -2) return null;
    }
    throw new Error(`Batch ${batchId}: too many concurrent writers`);
  }

  private async read(batchId: string): Promise<{ record: BatchRecord; rev: string } | null> {
    const fields = await this.redis.hgetall(this.keys.record(batchId));
    if (!fields.record) return null;
    const base = JSON.parse(fields.record) as BatchRecord;
    const succeeded = Number(fields.succeeded ?? 0);
    const failed = Number(fields.failed ?? 0);
    const record: BatchRecord = {
      ...base,
      status: fields.status as BatchStatus,
      counts: { succeeded, failed, pending: Math.max(0, base.comparison_count - succeeded - failed) },
      cost_usd: Number(fields.unpriced ?? 0) > 0 ? null : Number(fields.cost ?? 0),
      individual_cost_usd: Number(fields.iunpriced ?? 0) > 0 ? null : Number(fields.icost ?? 0),
      cancel_requested: fields.cancel === '1',
    };
    return { record, rev: fields.rev };
  }
}
