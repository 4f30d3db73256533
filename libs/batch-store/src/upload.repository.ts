import { Inject, Injectable } from '@nestjs/common';
import { LuaScript, REDIS_CLIENT } from '#infra';
import type { Redis } from 'ioredis';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';
import type { EssayRefComparison } from './batch.types.js';

/** What an upload was opened with: the batch's options and shared prompt, and who owns it. */
export interface UploadMeta {
  upload_id: string;
  tenant_id: string;
  /** Request options of the batch (llm_config_overrides, correlation_id, callback_topic, priority). */
  options: Record<string, unknown>;
  user_prompt: string;
  created_at: string;
  expires_at: string;
}

/** One page of an upload: essays and/or comparisons in the essay-referencing form. */
export interface UploadPart {
  essays: Array<{ essay_id: string; text: string }>;
  comparisons: EssayRefComparison[];
}

export interface UploadState {
  meta: UploadMeta;
  /** Set once sealed: the batch it became (same id as the upload). */
  batchId: string | null;
  /** part number → counts, for every part stored so far. */
  parts: Map<number, { essays: number; comparisons: number }>;
}

/** KEYS: meta, parts. ARGV: partNumber, partJson, essays, comparisons → 1 stored, 0 sealed, -1 unknown */
const PUT_PART_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'batch_id') == 1 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'count:' .. ARGV[1], ARGV[3] .. ',' .. ARGV[4])
redis.call('EXPIRE', KEYS[2], redis.call('TTL', KEYS[1]))
return 1
`);

/**
 * Multi-part uploads of one large batch (create → put parts → seal). Parts are kept as sent, untouched, until the
 * seal; an unsealed upload expires with its TTL (Redis removes both keys), so an abandoned one costs nothing.
 * Both keys carry the upload id as hash tag (one cluster slot).
 */
@Injectable()
export class UploadRepository {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.prefix = resolvedKeyPrefix(options);
  }

  metaKey(uploadId: string): string {
    return `${this.prefix}:upload:{${uploadId}}`;
  }

  partsKey(uploadId: string): string {
    return `${this.prefix}:upload:{${uploadId}}:parts`;
  }

  async create(meta: UploadMeta, ttlSeconds: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.metaKey(meta.upload_id), 'meta', JSON.stringify(meta))
      .expire(this.metaKey(meta.upload_id), ttlSeconds)
      .exec();
  }

  async get(uploadId: string): Promise<UploadState | null> {
    const fields = await this.redis.hgetall(this.metaKey(uploadId));
    if (!fields.meta) return null;
    const parts = new Map<number, { essays: number; comparisons: number }>();
    for (const [field, value] of Object.entries(fields)) {
      if (!field.startsWith('count:')) continue;
      const [essays, comparisons] = value.split(',').map(Number);
      parts.set(Number(field.slice(6)), { essays, comparisons });
    }
    return { meta: JSON.parse(fields.meta) as UploadMeta, batchId: fields.batch_id ?? null, parts };
  }

  /** Stores (or replaces) one part. 'sealed' and 'unknown' store nothing. */
  async putPart(
    uploadId: string,
    partNumber: number,
    part: UploadPart,
  ): Promise<'stored' | 'sealed' | 'unknown'> {
    const reply = (await PUT_PART_SCRIPT.run(
      this.redis,
      [this.metaKey(uploadId), this.partsKey(uploadId)],
      [String(partNumber), JSON.stringify(part), String(part.essays.length), String(part.comparisons.length)],
    )) as number;
    return reply === 1 ? 'stored' : reply === 0 ? 'sealed' : 'unknown';
  }

  /** The parts in part-number order, read one at a time. */
  async *parts(uploadId: string): AsyncGenerator<{ partNumber: number; part: UploadPart }> {
    const numbers = (await this.redis.hkeys(this.partsKey(uploadId))).map(Number).sort((a, b) => a - b);
    for (const partNumber of numbers) {
      const json = await this.redis.hget(this.partsKey(uploadId), String(partNumber));
      if (json !== null) yield { partNumber, part: JSON.parse(json) as UploadPart };
    }
  }

  /** Marks the upload sealed as `batchId` and drops its parts (the batch now holds the content). */
  async markSealed(uploadId: string, batchId: string): Promise<void> {
    await this.redis
      .multi()
      .hset(this.metaKey(uploadId), 'batch_id', batchId)
      .del(this.partsKey(uploadId))
      .exec();
  }
}
