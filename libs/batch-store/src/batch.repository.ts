import { Inject, Injectable } from '@nestjs/common';
import type { ComparisonRequest } from '#contracts';
import { REDIS_CLIENT } from '#infra';
import type { ProviderBatchRef } from '#llm-providers';
import { Cluster, type Redis } from 'ioredis';
import { BatchKeys } from './batch-keys.js';
import { INLINE_REQUESTS, isVersionedRequestHash, storedContent } from './stored-content.js';
import { recordFromFields, type VersionedRecord } from './batch-record-fields.js';
import {
  CLAIM_SCRIPT,
  CREATE_SCRIPT,
  DISCARD_SCRIPT,
  EXPIRE_CLAIM_SCRIPT,
  FINISH_WITH_RESULT_SCRIPT,
  REQUEST_CANCEL_SCRIPT,
  STORE_RESULTS_SCRIPT,
  TRANSITION_SCRIPT,
  TAKE_QUEUED_SCRIPT,
  UNTAKE_SCRIPT,
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
const STAGING_TTL_SECONDS = 3600;
const MAX_CAS_ATTEMPTS = 50;
const MAX_CLAIM_ATTEMPTS = 5;
/**
 * A live-index entry without a batch record is a create in progress for this long (staging a large batch takes
 * seconds); after that its creator died before writing the batch and the reconciler removes the entry.
 */
export const CREATE_GRACE_MS = 15 * 60_000;
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
   * Stores a new batch and its requests; the same idempotency key with the same request_hash returns the existing
   * batch (created false), with another hash it throws IdempotencyConflictError.
   *
   * Redis Cluster: the batch's keys share one slot, the idempotency claim and the live index are keys of other
   * slots, so they are separate single-key steps in a crash-safe order: (1) the live index entry, (2) the batch
   * (one script in its slot), (3) the claim, taken only after the batch exists. A claim therefore never names a
   * batch that was not written; a claim naming a batch that no longer exists (expired) is taken over; a batch
   * whose claim went to another batch is a duplicate nobody was told about and is removed (here, or by the
   * worker's reconciler when this process died before step 3).
   */
  /**
   * Stores a new batch (or returns the one its idempotency key already names). `sendWith`: the caller's follow-up
   * write (the individual lane's enqueue), sent right behind the create script in the same write when one Redis
   * executes both in order (an inline batch without an idempotency key, not on a cluster): one round trip less.
   * Its promise is returned as `sent`; when absent, the caller sends it itself once the create answered.
   */
  async create(
    record: NewBatchRecord,
    given: BatchContent,
    options: {
      sendWith?: () => Promise<unknown>;
      /**
       * The request's hash as versions before REQUEST_HASH_VERSION computed it, asked for only when a repeat meets
       * a batch stored with such a hash (accepted before an upgrade): the repeat is then compared by that one.
       */
      legacyRequestHash?: () => string;
      /** JSON.stringify of each stored item (the essay form's comparisons), when the caller already made it. */
      itemJson?: readonly string[];
    } = {},
  ): Promise<{ batch: BatchRecord; created: boolean; sent?: Promise<unknown> }> {
    const id = record.batch_id;
    const full = this.initialRecord(record);
    // Stored without its cancel flag (a field of its own in the record's hash).
    const { cancel_requested: _cancel, ...written } = full;
    const claimKey = record.idempotency_key ? this.keys.idempotency(record.idempotency_key) : null;
    // A repeat of an accepted request is answered from its claim, before anything is stored.
    if (claimKey) {
      const owner = await this.redis.get(claimKey);
      const existing = owner ? await this.get(owner) : null;
      if (existing) return this.repeatOf(existing, full, options.legacyRequestHash);
    }
    const staging = this.keys.staging(id);
    const essaysStaging = this.keys.essaysStaging(id);
    const content = storedContent(given);
    const essayForm = isEssayContent(content);
    const items: Array<ComparisonRequest | EssayRefComparison> = essayForm ? content.comparisons : content;
    // A small inline batch (every individual request) travels inside the create script: one round trip in all.
    // Anything larger is staged in chunks first, so no single command carries megabytes.
    const inline = !essayForm && items.length <= INLINE_REQUESTS ? items.map((r) => JSON.stringify(r)) : [];
    // The live entry exists before the batch (the reconciler's anchor for a create that died half-way). On one
    // Redis an inline batch sends it in the same write as the create script (one connection executes them in
    // the order written); on a cluster it may live on another node, so the script waits for it.
    const live = this.redis.zadd(this.keys.active(), 'NX', Date.now(), id);
    if (inline.length === 0 || this.redis instanceof Cluster) await live;
    // Essay-referencing form: each essay's text once per batch, however many comparisons name it.
    const essays = essayForm ? content.essays : [];
    if (inline.length === 0) {
      // Every chunk in one pipeline (one round trip, not one per chunk); the staging keys expire if the create
      // below never runs.
      const staged = this.redis.pipeline().del(staging, essaysStaging);
      const made = options.itemJson?.length === items.length ? options.itemJson : undefined;
      for (let i = 0; i < items.length; i += WRITE_CHUNK) {
        const chunk = new Array<string>(Math.min(WRITE_CHUNK, items.length - i));
        for (let j = 0; j < chunk.length; j += 1)
          chunk[j] = made ? made[i + j] : JSON.stringify(items[i + j]);
        staged.rpush(staging, ...chunk);
      }
      if (items.length > 0) staged.expire(staging, STAGING_TTL_SECONDS);
      for (let i = 0; i < essays.length; i += WRITE_CHUNK) {
        staged.hset(essaysStaging, ...essays.slice(i, i + WRITE_CHUNK).flatMap((e) => [e.essay_id, e.text]));
      }
      if (essays.length > 0) staged.expire(essaysStaging, STAGING_TTL_SECONDS);
      for (const [err] of (await staged.exec()) ?? []) if (err) throw err;
    }
    const creating = CREATE_SCRIPT.run(
      this.redis,
      [this.keys.record(id), this.keys.requests(id), staging, essaysStaging, this.keys.essays(id)],
      [
        JSON.stringify(written),
        full.status,
        full.request_hash,
        essayForm ? '1' : '0',
        essayForm ? content.user_prompt : '',
        ...inline,
      ],
    );
    // Issued after the script (same tick, same connection): on one Redis it runs after the batch exists. A worker
    // that still finds no batch (a create re-sent after NOSCRIPT) keeps the job until it does (lane grace).
    const sent =
      options.sendWith && inline.length > 0 && !claimKey && !(this.redis instanceof Cluster)
        ? options.sendWith()
        : undefined;
    sent?.catch(() => undefined);
    const [, outcome] = (await Promise.all([live, creating])) as [
      unknown,
      'created' | 'existing' | 'conflict',
    ];
    if (outcome === 'conflict') throw new IdempotencyConflictError(record.idempotency_key ?? id, id);
    if (claimKey) {
      const owner = await this.claim(claimKey, id);
      if (owner.batch_id !== id) {
        await this.discard(id, full);
        return this.repeatOf(owner, full, options.legacyRequestHash);
      }
    }
    // A new batch is exactly what was written: no read back (one round trip less on every acceptance).
    if (outcome === 'created') return { batch: full, created: true, ...(sent ? { sent } : {}) };
    const batch = await this.get(id);
    if (!batch) throw new BatchNotFoundError(id);
    return { batch, created: false, ...(sent ? { sent } : {}) };
  }

  /** The record `create` stores for `record` as a new batch (and returns when it did). */
  initialRecord(record: NewBatchRecord): BatchRecord {
    // Object.assign onto a fresh object, not a leading spread: see hot-object-shapes.bench.ts.
    return Object.assign({}, record, {
      status: record.status ?? 'queued',
      counts: { succeeded: 0, failed: 0, pending: record.comparison_count },
      cost_usd: 0,
      individual_cost_usd: 0,
      cancel_requested: false,
    } satisfies Partial<BatchRecord>);
  }

  /**
   * Makes `claimKey` name `batchId` unless it names another existing batch; returns the batch it names. A claim
   * whose batch is gone (expired while the claim's own expiry was lost) is taken over.
   */
  async claim(claimKey: string, batchId: string): Promise<BatchRecord> {
    let stale = '';
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const owner = (await CLAIM_SCRIPT.run(this.redis, [claimKey], [batchId, stale])) as string;
      const batch = await this.get(owner);
      if (batch) return batch;
      if (owner === batchId) throw new BatchNotFoundError(batchId);
      stale = owner;
    }
    throw new Error(`Idempotency claim ${claimKey}: too many concurrent takeovers`);
  }

  /** Removes a batch that lost its idempotency claim (still untouched since creation) and its live entry. */
  async discard(batchId: string, created: Pick<BatchRecord, 'status' | 'request_hash'>): Promise<boolean> {
    const removed = (await DISCARD_SCRIPT.run(
      this.redis,
      [
        this.keys.record(batchId),
        this.keys.requests(batchId),
        this.keys.essays(batchId),
        this.keys.staging(batchId),
        this.keys.essaysStaging(batchId),
      ],
      [created.status, created.request_hash],
    )) as number;
    if (removed === 1) await this.redis.zrem(this.keys.active(), batchId);
    return removed === 1;
  }

  private repeatOf(
    existing: BatchRecord,
    attempt: BatchRecord,
    legacyRequestHash?: () => string,
  ): { batch: BatchRecord; created: boolean } {
    const same =
      existing.request_hash === attempt.request_hash ||
      (legacyRequestHash !== undefined &&
        isVersionedRequestHash(attempt.request_hash) &&
        !isVersionedRequestHash(existing.request_hash) &&
        existing.request_hash === legacyRequestHash());
    if (!same) {
      throw new IdempotencyConflictError(attempt.idempotency_key ?? attempt.batch_id, existing.batch_id);
    }
    return { batch: existing, created: false };
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
        // Each parsed item is completed in place (not copied by a spread, the slow path of Node 20's V8).
        for (const item of items as ComparisonRequest[]) out.push(Object.assign(item, { index: out.length }));
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
    return (await this.compareAndSet(batchId, allowedFrom, () => ({ to, patch, events })))?.record ?? null;
  }

  /**
   * Like `transition`, starting from a record read just before (`known`, from getVersioned or a previous
   * versioned transition): the first attempt skips the read, and stands only if nobody wrote since (same rev);
   * otherwise it reads and tries again as usual. Returns the written record with its new revision.
   */
  async transitionKnown(
    known: VersionedRecord,
    allowedFrom: readonly BatchStatus[],
    change: (current: BatchRecord) => { to: BatchStatus; patch?: BatchPatch; events?: OutboxMessage[] },
  ): Promise<VersionedRecord | null> {
    return this.compareAndSet(
      known.record.batch_id,
      allowedFrom,
      (current) => {
        const { to, patch = {}, events = [] } = change(current);
        return { to, patch, events };
      },
      known,
    );
  }

  /** The record with its revision (see transitionKnown). */
  async getVersioned(batchId: string): Promise<VersionedRecord | null> {
    return this.read(batchId);
  }

  /**
   * An individual run's first write and read in one: queued → in_progress (with its start time), then the record
   * as it now is. `took` is false when the batch was not queued (the record is returned unchanged).
   */
  async takeQueued(
    batchId: string,
    submittedAt: string,
  ): Promise<{ versioned: VersionedRecord | null; took: boolean }> {
    const [took, flat] = (await TAKE_QUEUED_SCRIPT.run(
      this.redis,
      [this.keys.record(batchId)],
      [submittedAt],
    )) as [number, string[]];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
    return { versioned: recordFromFields(fields), took: took === 1 };
  }

  /** Gives a taken batch back to queued, unless it changed since `taken` (then false). */
  async untake(taken: VersionedRecord): Promise<boolean> {
    const keys = [this.keys.record(taken.record.batch_id)];
    return (await UNTAKE_SCRIPT.run(this.redis, keys, [taken.rev])) === 1;
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
    const done = await this.compareAndSet(batchId, allowedFrom, (current) => {
      const { to, patch = {}, events = [] } = change(current);
      return { to, patch, events };
    });
    return done?.record ?? null;
  }

  /** Persists the (growing) provider batch reference; called before any wait on the provider. */
  async saveProviderRef(batchId: string, ref: ProviderBatchRef): Promise<BatchRecord | null> {
    const done = await this.compareAndSet(batchId, ACTIVE_STATUSES, (current) => ({
      to: current.status,
      patch: { provider_ref: ref },
    }));
    return done?.record ?? null;
  }

  /**
   * Counts a provider submission as started, before its first create call (compare-and-set, like every write).
   * Returns the updated record, or null when the batch is gone or no longer active.
   */
  async markSubmitAttempt(batchId: string): Promise<BatchRecord | null> {
    const done = await this.compareAndSet(batchId, ACTIVE_STATUSES, (current) => ({
      to: current.status,
      patch: { submit_attempts: (current.submit_attempts ?? 0) + 1 },
    }));
    return done?.record ?? null;
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
        [this.keys.record(batchId), this.keys.results(batchId), this.keys.outbox(batchId)],
        args,
      )) as number;
      if (outcome === -2) throw new BatchNotFoundError(batchId);
      if (outcome === -3) throw new Error(`Batch ${batchId} is terminal; results can no longer be stored`);
      // The pending mark (another slot) follows the append; a crash in between is repaired by the reconciler.
      if (outcome > 0 && events?.slice(i, i + chunk.length).some(Boolean)) await this.markOutbox(batchId);
      stored += outcome;
    }
    return stored;
  }

  /**
   * Ends a one-comparison batch in one round trip: stores `stored` (and `event`, its result event, in the outbox)
   * and moves the batch from `known` (the record and revision the caller holds) to `to`, notifying held requests
   * with the record and the result (FINISH_WITH_RESULT_SCRIPT). Returns the written record, or null when it did
   * not apply: someone wrote the record or stored the result since `known` was read, or the status moved on
   * (the caller then stores and finishes in two steps, which re-read). `detach`: the writes that follow a terminal
   * transition (outbox mark, live index, tenant load; other slots) are issued on the next turn of the event loop and
   * handed to it instead of awaited, so a caller answering a waiting client neither waits for them nor builds them
   * before its answer is written (a mark lost to a crash in between is repaired by the reconciler).
   */
  async finishWithResult(
    known: VersionedRecord,
    stored: StoredResult,
    event: OutboxMessage | null,
    to: BatchStatus,
    patch: BatchPatch,
    detach?: (afterTerminal: Promise<void>) => void,
  ): Promise<BatchRecord | null> {
    const batchId = known.record.batch_id;
    const ok = !stored.result.error_detail;
    const cost = stored.result.cost_estimate;
    const individual = stored.individual_cost_usd === undefined ? cost : stored.individual_cost_usd;
    // Not a leading spread: the patch may add fields, the slow path of Node 20's V8 (hot-object-shapes.bench.ts).
    const next: BatchRecord = Object.assign({}, known.record, patch, { status: to });
    const record = storedForm(next);
    const outcome = (await FINISH_WITH_RESULT_SCRIPT.run(this.redis, this.transitionKeys(batchId), [
      ACTIVE_STATUSES.join(','),
      known.rev,
      stored.index,
      JSON.stringify(stored),
      ok ? '1' : '0',
      String(cost),
      String(individual),
      event ? JSON.stringify(event) : '',
      to,
      JSON.stringify(record),
      this.retentionSeconds,
      batchId,
      this.keys.terminalChannel(),
    ])) as number;
    if (outcome !== 1) return null;
    if (detach) setImmediate(() => detach(this.afterTerminal(next, event !== null)));
    else await this.afterTerminal(next, event !== null);
    return {
      ...next,
      counts: { succeeded: ok ? 1 : 0, failed: ok ? 0 : 1, pending: 0 },
      cost_usd: cost,
      individual_cost_usd: individual,
    };
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
    return this.redis.zrange(this.keys.active(), 0, -1);
  }

  /** The live index with the time each entry was made (ms). */
  async listActiveSince(): Promise<Array<{ batchId: string; sinceMs: number }>> {
    const flat = await this.redis.zrange(this.keys.active(), 0, -1, 'WITHSCORES');
    const entries: Array<{ batchId: string; sinceMs: number }> = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ batchId: flat[i], sinceMs: Number(flat[i + 1]) });
    return entries;
  }

  /**
   * Repairs the global indexes of one live-index entry after a crash between a batch's own script and its
   * single-key follow-ups: marks a non-empty outbox pending; finishes a terminal batch's follow-ups (claim expiry,
   * live entry); removes an entry whose batch was never written (older than `graceMs`, so a create in progress
   * is left alone); claims the idempotency key of a live batch, or removes the batch when the claim went to
   * another one (a duplicate nobody was told about). Returns the live batch to reconcile further, or null.
   */
  async repairIndexes(
    entry: { batchId: string; sinceMs: number },
    graceMs: number,
    nowMs: number = Date.now(),
  ): Promise<{ record: BatchRecord | null; repaired: 'removed' | 'finished' | 'discarded' | null }> {
    const { batchId } = entry;
    const record = await this.get(batchId);
    if (!record) {
      if (nowMs - entry.sinceMs < graceMs) return { record: null, repaired: null };
      await this.redis.zrem(this.keys.active(), batchId);
      return { record: null, repaired: 'removed' };
    }
    if ((await this.redis.llen(this.keys.outbox(batchId))) > 0) await this.markOutbox(batchId);
    if (isTerminal(record.status)) {
      await this.finishTerminal(record);
      return { record: null, repaired: 'finished' };
    }
    if (record.idempotency_key) {
      const owner = await this.claim(this.keys.idempotency(record.idempotency_key), batchId);
      if (owner.batch_id !== batchId && (await this.discard(batchId, record))) {
        return { record: null, repaired: 'discarded' };
      }
    }
    return { record, repaired: null };
  }

  private async markOutbox(batchId: string): Promise<void> {
    await this.redis.sadd(this.keys.outboxPending(), batchId);
  }

  /**
   * The single-key follow-ups of a terminal transition, in other slots: the outbox mark (when it appended events),
   * the claim's expiry, the live entry (last: the repair anchor), then the tenant's allowance. On one Redis they
   * are sent together (one round trip; one connection executes them in the order written); on a cluster they go
   * to different nodes, so each waits for the one before it.
   */
  private async afterTerminal(record: BatchRecord, markOutbox: boolean): Promise<void> {
    const tenant = record.tenant_id;
    const steps = [
      ...(markOutbox ? [() => this.markOutbox(record.batch_id)] : []),
      () => this.finishTerminal(record),
      ...(tenant ? [() => this.tenantLoad.release(tenant, record.batch_id).then(() => undefined)] : []),
    ];
    if (this.redis instanceof Cluster) {
      for (const step of steps) await step();
      return;
    }
    await Promise.all(steps.map((step) => step()));
  }

  /** After a terminal transition: the claim expires with the batch, the live entry goes (last: the repair anchor). */
  private async finishTerminal(record: BatchRecord): Promise<void> {
    if (record.idempotency_key) {
      await EXPIRE_CLAIM_SCRIPT.run(
        this.redis,
        [this.keys.idempotency(record.idempotency_key)],
        [record.batch_id, this.retentionSeconds],
      );
    }
    await this.redis.zrem(this.keys.active(), record.batch_id);
  }

  private async compareAndSet(
    batchId: string,
    allowedFrom: readonly BatchStatus[],
    change: (current: BatchRecord) => { to: BatchStatus; patch: BatchPatch; events?: OutboxMessage[] },
    known?: VersionedRecord,
  ): Promise<VersionedRecord | null> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = attempt === 0 && known ? known : await this.read(batchId);
      if (!current) return null;
      if (!allowedFrom.includes(current.record.status)) {
        // A status the known record had may be out of date: only a fresh read may say no.
        if (current === known) continue;
        return null;
      }
      const { to, patch, events = [] } = change(current.record);
      const next: BatchRecord = Object.assign({}, current.record, patch, { status: to });
      const stored = storedForm(next);
      const outcome = (await TRANSITION_SCRIPT.run(this.redis, this.transitionKeys(batchId), [
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
      ])) as number;
      // Applied: the record is what was just written (counts as read in this same attempt). The single-key
      // follow-ups in other slots (outbox mark, claim expiry, live entry) come after, in the order the
      // reconciler's repair relies on; a terminal batch gives its comparisons back to its tenant's allowance.
      if (outcome === 1) {
        if (isTerminal(to)) await this.afterTerminal(next, events.length > 0);
        else if (events.length > 0) await this.markOutbox(batchId);
        return { record: next, rev: String(Number(current.rev) + 1) };
      }
      if (outcome === 0 || outcome === -2) return null;
    }
    throw new Error(`Batch ${batchId}: too many concurrent writers`);
  }

  /** The keys TRANSITION_SCRIPT and FINISH_WITH_RESULT_SCRIPT take, in their order (one hash slot). */
  private transitionKeys(batchId: string): string[] {
    return [
      this.keys.record(batchId),
      this.keys.requests(batchId),
      this.keys.results(batchId),
      this.keys.essays(batchId),
      this.keys.outbox(batchId),
    ];
  }

  private async read(batchId: string): Promise<VersionedRecord | null> {
    return recordFromFields(await this.redis.hgetall(this.keys.record(batchId)));
  }
}

/** A record as stored in its hash: counts and cancel_requested live in their own fields, not in the JSON. */
function storedForm(record: BatchRecord): Omit<BatchRecord, 'counts' | 'cancel_requested'> {
  const { counts: _counts, cancel_requested: _cancel, ...stored } = record;
  void _counts;
  void _cancel;
  return stored;
}
