import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { LuaScript, REDIS_CLIENT } from '#infra';
import type { Pair } from '#cj-scoring';
import type { AssessmentRecord, StoredResult } from './assessment.types.js';
import { assessmentKey, CJ_KEY_PREFIX, submissionKey } from './assessment-keys.js';
import { SharedRecordCache } from './shared-record-cache.js';

export type RecordResultOutcome = 'stored' | 'duplicate_event' | 'duplicate_pair';

const CREATE_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'json')}
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'json', ARGV[2])
redis.call('SET', KEYS[3], ARGV[3])
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
return {1, ARGV[2]}
`);

const COMPARE_AND_SET_SCRIPT = new LuaScript(`
local current = redis.call('HGET', KEYS[1], 'version')
if not current then return -1 end
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3])
return 1
`);

// Appends a round's pairs once: only when the design still ends where the round starts (ARGV[1]); a repeat after a
// crash finds them there already (returns 0), anything else is a conflict (-1).
const APPEND_PAIRS_SCRIPT = new LuaScript(`
local current = cjson.decode(redis.call('GET', KEYS[1]) or '[]')
local start = tonumber(ARGV[1])
local added = cjson.decode(ARGV[2])
if #current == start then
  for i = 1, #added do current[start + i] = added[i] end
  redis.call('SET', KEYS[1], cjson.encode(current), 'KEEPTTL')
  return 1
end
if #current == start + #added then return 0 end
return -1
`);

const RECORD_RESULT_SCRIPT = new LuaScript(`
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 2 end
return 1
`);

/**
 * Assessment state in Redis. The record is one hash {version, json}; every change is a compare-and-set on the
 * version (Lua), so concurrent handlers (Kafka, the deadline watch) never overwrite each other's transition.
 * Results live per batch attempt, one field per pair index, written with an event-id guard (duplicates ignored).
 */
@Injectable()
export class AssessmentRepository {
  private readonly shared = new SharedRecordCache();

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  /**
   * Creates the assessment (record, essay texts, pair design) unless it exists; returns the stored record. The
   * deadline index (another cluster slot) is written first: a crash before the record leaves an index entry
   * without a record, which the deadline watcher drops; never a record the watchers cannot find.
   */
  async create(
    record: AssessmentRecord,
    essays: ReadonlyArray<{ essay_id: string; text: string }>,
    pairs: readonly Pair[],
  ): Promise<{ record: AssessmentRecord; created: boolean }> {
    const id = record.assessment_id;
    const essayArgs = essays.flatMap((e) => [e.essay_id, e.text]);
    if ((await this.redis.exists(this.recordKey(id))) === 0) {
      await this.redis.zadd(this.deadlinesKey(), 'NX', String(record.deadline_at), id);
    }
    const [created, json] = (await CREATE_SCRIPT.run(
      this.redis,
      [this.recordKey(id), this.essaysKey(id), this.pairsKey(id)],
      [
        String(record.version),
        JSON.stringify(record),
        JSON.stringify(pairs.map((p) => [p.pair_index, p.essay_a, p.essay_b])),
        ...essayArgs,
      ],
    )) as [number, string];
    return { record: JSON.parse(json) as AssessmentRecord, created: created === 1 };
  }

  async get(assessmentId: string): Promise<AssessmentRecord | null> {
    const json = await this.redis.hget(this.recordKey(assessmentId), 'json');
    return json ? (JSON.parse(json) as AssessmentRecord) : null;
  }

  /**
   * The record for read-only use on a hot path (once per comparison result): the parsed record is reused while
   * the stored version and JSON length are unchanged, so a result costs two small replies instead of the whole
   * record (~0.5 MB at 20,000 essays). Frozen: it is shared; use get() for a copy to change.
   */
  async getShared(assessmentId: string): Promise<Readonly<AssessmentRecord> | null> {
    const key = this.recordKey(assessmentId);
    const [[versionError, version], [bytesError, bytes]] = (await this.redis
      .pipeline()
      .hget(key, 'version')
      .hstrlen(key, 'json')
      .exec()) as [[Error | null, string | null], [Error | null, number]];
    if (versionError || bytesError) throw versionError ?? bytesError;
    if (version === null) {
      this.shared.forget(assessmentId);
      return null;
    }
    const cached = this.shared.lookup(assessmentId, version, bytes);
    if (cached) return cached;
    const [storedVersion, json] = await this.redis.hmget(key, 'version', 'json');
    if (storedVersion === null || json === null) return null;
    return this.shared.store(
      assessmentId,
      storedVersion,
      Buffer.byteLength(json),
      JSON.parse(json) as AssessmentRecord,
    );
  }

  /**
   * Writes `next` if the stored version is still `next.version - 1`. Returns false when another writer got there
   * first (the caller re-reads and decides again).
   */
  async compareAndSet(next: AssessmentRecord): Promise<boolean> {
    const result = (await COMPARE_AND_SET_SCRIPT.run(
      this.redis,
      [this.recordKey(next.assessment_id)],
      [String(next.version - 1), String(next.version), JSON.stringify(next)],
    )) as number;
    return result === 1;
  }

  /**
   * Read → change → compare-and-set, repeated while other writers interfere. `change` returns the next record
   * (version + 1) or null to leave the record as it is. Returns the record as stored afterwards.
   */
  async update(
    assessmentId: string,
    change: (record: AssessmentRecord) => AssessmentRecord | null,
  ): Promise<AssessmentRecord | null> {
    for (let tries = 0; tries < 20; tries++) {
      const current = await this.get(assessmentId);
      if (!current) return null;
      const next = change(current);
      if (!next) return current;
      if (await this.compareAndSet(next)) return next;
    }
    throw new Error(`assessment ${assessmentId}: too many concurrent updates`);
  }

  /** The pair design, in pair_index order (immutable, so kept apart from the often-rewritten record). */
  async getPairs(assessmentId: string): Promise<Pair[]> {
    const json = await this.redis.get(this.pairsKey(assessmentId));
    const packed = json ? (JSON.parse(json) as Array<[number, string, string]>) : [];
    return packed.map(([pair_index, essay_a, essay_b]) => ({ pair_index, essay_a, essay_b }));
  }

  /**
   * Adds an adaptive round's pairs (indexes start..start+n-1) to the design, exactly once: a repeat of the same
   * round after a crash is a no-op. Throws when the design does not end at `start` (another round got there).
   */
  async appendPairs(assessmentId: string, start: number, pairs: readonly Pair[]): Promise<void> {
    if (pairs.some((p, i) => p.pair_index !== start + i)) {
      throw new Error(`assessment ${assessmentId}: appended pairs must be numbered from ${start}`);
    }
    const outcome = (await APPEND_PAIRS_SCRIPT.run(
      this.redis,
      [this.pairsKey(assessmentId)],
      [String(start), JSON.stringify(pairs.map((p) => [p.pair_index, p.essay_a, p.essay_b]))],
    )) as number;
    if (outcome < 0) throw new Error(`assessment ${assessmentId}: the design does not end at pair ${start}`);
  }

  async getEssayTexts(assessmentId: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.essaysKey(assessmentId))));
  }

  async recordResult(
    assessmentId: string,
    attemptCorrelationId: string,
    eventId: string,
    result: StoredResult,
  ): Promise<RecordResultOutcome> {
    const outcome = (await RECORD_RESULT_SCRIPT.run(
      this.redis,
      [this.eventsKey(assessmentId), this.resultsKey(assessmentId, attemptCorrelationId)],
      [eventId, String(result.pair_index), JSON.stringify(result)],
    )) as number;
    return outcome === 1 ? 'stored' : outcome === 0 ? 'duplicate_event' : 'duplicate_pair';
  }

  /** Results of some pairs of one batch attempt (a page of judgements), by pair index. */
  async getResultsOf(
    assessmentId: string,
    attemptCorrelationId: string,
    pairIndexes: readonly number[],
  ): Promise<Map<number, StoredResult>> {
    if (pairIndexes.length === 0) return new Map();
    const raw = await this.redis.hmget(
      this.resultsKey(assessmentId, attemptCorrelationId),
      ...pairIndexes.map(String),
    );
    const found = new Map<number, StoredResult>();
    raw.forEach((json, i) => {
      if (json) found.set(pairIndexes[i], JSON.parse(json) as StoredResult);
    });
    return found;
  }

  /** Results of one batch attempt, by pair index. */
  async getResults(assessmentId: string, attemptCorrelationId: string): Promise<Map<number, StoredResult>> {
    const raw = await this.redis.hgetall(this.resultsKey(assessmentId, attemptCorrelationId));
    return new Map(
      Object.entries(raw).map(([index, json]) => [Number(index), JSON.parse(json) as StoredResult]),
    );
  }

  async countResults(assessmentId: string, attemptCorrelationId: string): Promise<number> {
    return this.redis.hlen(this.resultsKey(assessmentId, attemptCorrelationId));
  }

  async linkBatch(batchId: string, assessmentId: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.batchKey(batchId), assessmentId, 'EX', ttlSeconds);
  }

  async assessmentForBatch(batchId: string): Promise<string | null> {
    return this.redis.get(this.batchKey(batchId));
  }

  /** Ids of assessments whose deadline has passed (terminal ones are removed from the index when they end). */
  async overdue(nowMs: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.deadlinesKey(), '-inf', nowMs, 'LIMIT', 0, limit);
  }

  /** Ids of assessments not yet ended (the deadline index holds each until it ends), oldest deadline first. */
  async unfinished(offset = 0, limit = 500): Promise<string[]> {
    return this.redis.zrange(this.deadlinesKey(), offset, offset + limit - 1);
  }

  /** Removes an id from the deadline index (its state expired or was removed). */
  async dropDeadline(assessmentId: string): Promise<void> {
    await this.redis.zrem(this.deadlinesKey(), assessmentId);
  }

  /**
   * Asks for the assessment to be cancelled (the API's cancel route). cj-integration honours it: it finds the id
   * in the cancel index, cancels the running batch and ends the assessment as failed with reason CANCELLED. The
   * first request's time is kept. Works before cj-integration has created the assessment (the request is still
   * in Kafka): the intake then ends it at once. Two single-key writes (different cluster slots), the request
   * before its index entry; a repeat of the call completes a half-done one.
   */
  async requestCancel(assessmentId: string, now: Date, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.cancelKey(assessmentId), now.toISOString(), 'EX', ttlSeconds, 'NX');
    await this.redis.zadd(this.cancelsKey(), 'NX', now.getTime(), assessmentId);
  }

  /** When the cancel was requested (ISO time), or null. */
  async cancelRequestedAt(assessmentId: string): Promise<string | null> {
    return this.redis.get(this.cancelKey(assessmentId));
  }

  /** Ids with a cancel request that cj-integration has not handled yet, oldest first. */
  async pendingCancels(limit = 100): Promise<Array<{ assessment_id: string; requested_at_ms: number }>> {
    const flat = await this.redis.zrange(this.cancelsKey(), 0, limit - 1, 'WITHSCORES');
    const pending: Array<{ assessment_id: string; requested_at_ms: number }> = [];
    for (let i = 0; i < flat.length; i += 2) {
      pending.push({ assessment_id: flat[i], requested_at_ms: Number(flat[i + 1]) });
    }
    return pending;
  }

  /** The cancel request has been acted on (or can no longer be): leave the index. */
  async dropPendingCancel(assessmentId: string): Promise<void> {
    await this.redis.zrem(this.cancelsKey(), assessmentId);
  }

  /**
   * After the outcome: let every key of the assessment expire (one transaction: one slot), then leave the indexes
   * (other slots; a crash in between leaves an entry whose record is terminal or gone, which the watchers skip
   * or drop).
   */
  async retire(record: AssessmentRecord, retentionSeconds: number): Promise<void> {
    const id = record.assessment_id;
    const tx = this.redis.multi();
    const keys = [
      this.recordKey(id),
      this.essaysKey(id),
      this.pairsKey(id),
      this.eventsKey(id),
      this.cancelKey(id),
      submissionKey(id),
      ...record.batches.map((b) => this.resultsKey(id, b.correlation_id)),
    ];
    for (const key of keys) tx.expire(key, retentionSeconds);
    await tx.exec();
    await this.redis.zrem(this.deadlinesKey(), id);
    await this.redis.zrem(this.cancelsKey(), id);
  }

  private recordKey(id: string): string {
    return assessmentKey(id);
  }
  private essaysKey(id: string): string {
    return assessmentKey(id, ':essays');
  }
  private pairsKey(id: string): string {
    return assessmentKey(id, ':pairs');
  }
  private eventsKey(id: string): string {
    return assessmentKey(id, ':events');
  }
  private resultsKey(id: string, attempt: string): string {
    return assessmentKey(id, `:results:${attempt}`);
  }
  private batchKey(batchId: string): string {
    return `${CJ_KEY_PREFIX}:batch:${batchId}`;
  }
  private deadlinesKey(): string {
    return `${CJ_KEY_PREFIX}:deadlines`;
  }
  private cancelKey(id: string): string {
    return assessmentKey(id, ':cancel');
  }
  private cancelsKey(): string {
    return `${CJ_KEY_PREFIX}:cancels`;
  }
}
