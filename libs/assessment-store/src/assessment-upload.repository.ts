import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { CJEssayV1, CJEssaysRefV1 } from '#contracts';
import { LuaScript, REDIS_CLIENT } from '#infra';
import { assessmentUploadKey } from './assessment-keys.js';

/** What an assessment upload was opened with: the whole request except its essays, and who owns it. */
export interface AssessmentUploadMeta {
  upload_id: string;
  tenant_id: string;
  key_id: string;
  /** The request without essays, assessment_id filled in (max_cost_usd kept: it is checked at the seal). */
  request: Record<string, unknown> & { assessment_id: string };
  created_at: string;
  expires_at: string;
}

/** What the seal needs of one part without reading its essays: ids in order, text lengths, digest. */
export interface AssessmentUploadPartInfo {
  essay_ids: string[];
  /** Characters of each essay's text (the quote prices them), in the order of `essay_ids`. */
  text_chars: number[];
  /** sha256 (hex) of the part's stored JSON array. */
  sha256: string;
}

export interface AssessmentUploadState {
  meta: AssessmentUploadMeta;
  /** 'open' takes parts; 'sealing' is frozen while a seal checks and publishes; 'sealed' was handed on. */
  status: 'open' | 'sealing' | 'sealed';
  /** part number → info, for every part stored so far. */
  parts: Map<number, AssessmentUploadPartInfo>;
}

export type PutPartOutcome =
  | { stored: true }
  | { stored: false; reason: 'unknown' }
  | { stored: false; reason: 'sealed' }
  /** `index` (within the part) names an essay id another part already holds. */
  | { stored: false; reason: 'duplicate'; index: number; otherPart: number };

/**
 * KEYS: meta, parts, essay_ids. ARGV: part number, part JSON, part info JSON, then the part's essay ids.
 * → {1} stored, {0} frozen, {-1} unknown, {-2, index, other part} an id another part holds.
 * A re-sent part replaces itself: its old ids are released first. Every key gets the meta's TTL, so an abandoned
 * upload disappears whole.
 */
const PUT_PART_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then return {0} end
local n = ARGV[1]
for i = 4, #ARGV do
  local owner = redis.call('HGET', KEYS[3], ARGV[i])
  if owner and owner ~= n then return {-2, i - 4, tonumber(owner)} end
end
local old = redis.call('HGET', KEYS[1], 'part:' .. n)
if old then
  for _, id in ipairs(cjson.decode(old).essay_ids) do redis.call('HDEL', KEYS[3], id) end
end
for i = 4, #ARGV do redis.call('HSET', KEYS[3], ARGV[i], n) end
redis.call('HSET', KEYS[2], n, ARGV[2])
redis.call('HSET', KEYS[1], 'part:' .. n, ARGV[3])
local ttl = redis.call('TTL', KEYS[1])
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return {1}
`);

/** KEYS: meta. → 1 frozen now, 0 already frozen, 2 already sealed, -1 unknown. */
const FREEZE_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'published') == 1 then return 2 end
return redis.call('HSETNX', KEYS[1], 'sealed', '1')
`);

/** KEYS: meta. A seal that refused the content reopens the upload (unless it was handed on meanwhile). */
const REOPEN_SCRIPT = new LuaScript(`
if redis.call('HEXISTS', KEYS[1], 'published') == 0 then redis.call('HDEL', KEYS[1], 'sealed') end
return 1
`);

/**
 * KEYS: meta, parts, essay_ids. ARGV: ttl. Handed on: the parts now live as long as the assessment's request may
 * (cj-integration deletes them once it holds its own copy); the id index is no longer needed.
 */
const SEALED_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'published', '1')
redis.call('EXPIRE', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
redis.call('DEL', KEYS[3])
return 1
`);

/**
 * Multi-part uploads of one large REST assessment (create → put parts of essays → seal), in the assessment store
 * so cj-integration can read a sealed upload's parts where they are: the seal publishes `essays_ref` naming the
 * upload instead of copying tens of MB into one value. Every key carries the upload id as hash tag.
 */
@Injectable()
export class AssessmentUploadRepository {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  keys(uploadId: string) {
    return {
      meta: assessmentUploadKey(uploadId),
      parts: assessmentUploadKey(uploadId, ':parts'),
      essayIds: assessmentUploadKey(uploadId, ':essay_ids'),
    };
  }

  async create(meta: AssessmentUploadMeta, ttlSeconds: number): Promise<void> {
    const key = this.keys(meta.upload_id).meta;
    await this.redis.multi().hset(key, 'meta', JSON.stringify(meta)).expire(key, ttlSeconds).exec();
  }

  async get(uploadId: string): Promise<AssessmentUploadState | null> {
    const fields = await this.redis.hgetall(this.keys(uploadId).meta);
    if (!fields.meta) return null;
    const parts = new Map<number, AssessmentUploadPartInfo>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('part:')) {
        parts.set(Number(field.slice(5)), JSON.parse(value) as AssessmentUploadPartInfo);
      }
    }
    const status = fields.published ? 'sealed' : fields.sealed ? 'sealing' : 'open';
    return { meta: JSON.parse(fields.meta) as AssessmentUploadMeta, status, parts };
  }

  /** Stores (or replaces) one part of essays; refused whole when frozen, unknown or naming another part's essay. */
  async putPart(uploadId: string, partNumber: number, essays: CJEssayV1[]): Promise<PutPartOutcome> {
    const json = JSON.stringify(essays.map((e) => ({ essay_id: e.essay_id, text: e.text })));
    const info: AssessmentUploadPartInfo = {
      essay_ids: essays.map((e) => e.essay_id),
      text_chars: essays.map((e) => e.text.length),
      sha256: sha256(json),
    };
    const k = this.keys(uploadId);
    const [code, index, otherPart] = (await PUT_PART_SCRIPT.run(
      this.redis,
      [k.meta, k.parts, k.essayIds],
      [String(partNumber), json, JSON.stringify(info), ...info.essay_ids],
    )) as [number, number?, number?];
    if (code === 1) return { stored: true };
    if (code === -2) return { stored: false, reason: 'duplicate', index: index!, otherPart: otherPart! };
    return code === 0 ? { stored: false, reason: 'sealed' } : { stored: false, reason: 'unknown' };
  }

  /**
   * Freezes the parts for a seal: 'frozen' by this call, 'already-frozen' (by a seal still running or one that
   * stopped after its claim), 'sealed' (handed on) or 'unknown'.
   */
  async freeze(uploadId: string): Promise<'frozen' | 'already-frozen' | 'sealed' | 'unknown'> {
    const code = (await FREEZE_SCRIPT.run(this.redis, [this.keys(uploadId).meta], [])) as number;
    return code === -1 ? 'unknown' : code === 2 ? 'sealed' : code === 1 ? 'frozen' : 'already-frozen';
  }

  async reopen(uploadId: string): Promise<void> {
    await REOPEN_SCRIPT.run(this.redis, [this.keys(uploadId).meta], []);
  }

  /** Published: keeps meta and parts for `ttlSeconds` (the assessment's retention) and drops the id index. */
  async markSealed(uploadId: string, ttlSeconds: number): Promise<void> {
    const k = this.keys(uploadId);
    await SEALED_SCRIPT.run(this.redis, [k.meta, k.parts, k.essayIds], [String(ttlSeconds)]);
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The reference to a sealed upload's essays: count and the digest over the parts' digests in part order. */
export function uploadEssaysRef(
  uploadId: string,
  parts: ReadonlyMap<number, AssessmentUploadPartInfo>,
): CJEssaysRefV1 {
  const ordered = [...parts.entries()].sort(([a], [b]) => a - b).map(([, info]) => info);
  return {
    store: 'assessment-store',
    count: ordered.reduce((sum, info) => sum + info.essay_ids.length, 0),
    sha256: sha256(ordered.map((info) => info.sha256).join('')),
    upload_id: uploadId,
    parts: ordered.length,
  };
}
