import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { CJAssessmentFailedV1, CJEssayV1, CJEssaysRefV1, CostQuote } from '#contracts';
import { LuaScript, REDIS_CLIENT } from '#infra';
import { assessmentUploadKey, requestEssaysKey, submissionKey } from './assessment-keys.js';
import { sha256 } from './assessment-upload.repository.js';

/** An assessment submitted over REST: who owns it and what was quoted. cj-integration never needs it to run. */
export interface AssessmentSubmission {
  assessment_id: string;
  /** Only this tenant sees the assessment through the API. */
  tenant_id: string;
  /** Id of the API key that submitted it (never the key). */
  key_id: string;
  /** sha256 of the submitted body without max_cost_usd: a repeat of the same body is the same submission. */
  request_hash: string;
  correlation_id: string;
  accepted_at: string;
  quote: CostQuote | null;
}

export interface StoredSubmission {
  submission: AssessmentSubmission;
  /** Set when cj-integration refused the request before creating any state. */
  refusal: CJAssessmentFailedV1 | null;
}

const CLAIM_SCRIPT = new LuaScript(`
if redis.call('HSETNX', KEYS[1], 'json', ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {1, ARGV[1]}
end
return {0, redis.call('HGET', KEYS[1], 'json')}
`);

const REFUSAL_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'refusal', ARGV[1])
return 1
`);

/**
 * The API's side of an assessment, one hash per id (`json`, later `refusal`). Claiming an id is atomic, so two
 * tenants (or two racing requests) can never both own one. Expires with the assessment's state (retire()).
 */
@Injectable()
export class AssessmentSubmissionRepository {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  /** Stores the submission unless the id is taken; returns what is stored and whether this call stored it. */
  async claim(
    submission: AssessmentSubmission,
    ttlSeconds: number,
  ): Promise<{ submission: AssessmentSubmission; created: boolean }> {
    const [created, json] = (await CLAIM_SCRIPT.run(
      this.redis,
      [submissionKey(submission.assessment_id)],
      [JSON.stringify(submission), String(ttlSeconds)],
    )) as [number, string];
    return { submission: JSON.parse(json) as AssessmentSubmission, created: created === 1 };
  }

  /** Gives an id back when the request could not be handed on (nothing half-stored). */
  async release(assessmentId: string): Promise<void> {
    await this.redis.del(submissionKey(assessmentId));
  }

  async get(assessmentId: string): Promise<StoredSubmission | null> {
    const [json, refusal] = await this.redis.hmget(submissionKey(assessmentId), 'json', 'refusal');
    if (!json) return null;
    return {
      submission: JSON.parse(json) as AssessmentSubmission,
      refusal: refusal ? (JSON.parse(refusal) as CJAssessmentFailedV1) : null,
    };
  }

  /** cj-integration refused a submitted request: keep its reason where the API can show it. */
  async recordRefusal(assessmentId: string, refusal: CJAssessmentFailedV1): Promise<boolean> {
    const stored = (await REFUSAL_SCRIPT.run(
      this.redis,
      [submissionKey(assessmentId)],
      [JSON.stringify(refusal)],
    )) as number;
    return stored === 1;
  }

  /**
   * Stores a REST assessment's essays for cj-integration (the event then carries only the returned reference).
   * Idempotent: the same essays give the same value and reference.
   */
  async storeRequestEssays(
    assessmentId: string,
    essays: CJEssayV1[],
    ttlSeconds: number,
  ): Promise<CJEssaysRefV1> {
    const json = JSON.stringify(essays.map((e) => ({ essay_id: e.essay_id, text: e.text })));
    await this.redis.set(requestEssaysKey(assessmentId), json, 'EX', ttlSeconds);
    return { store: 'assessment-store', count: essays.length, sha256: sha256(json) };
  }

  /**
   * The essays behind a reference: null when they are gone (expired, or already taken over by cj-integration);
   * 'mismatch' when what is stored is not what the reference names.
   */
  async loadRequestEssays(
    assessmentId: string,
    ref: CJEssaysRefV1,
  ): Promise<CJEssayV1[] | null | 'mismatch'> {
    if (ref.upload_id !== undefined) return this.loadUploadedEssays(assessmentId, ref);
    const json = await this.redis.get(requestEssaysKey(assessmentId));
    if (json === null) return null;
    if (sha256(json) !== ref.sha256) return 'mismatch';
    const essays = JSON.parse(json) as CJEssayV1[];
    return essays.length === ref.count ? essays : 'mismatch';
  }

  /** cj-integration keeps its own copy once the assessment exists; the api drops it when it could not publish. */
  async dropRequestEssays(assessmentId: string, ref?: CJEssaysRefV1): Promise<void> {
    await this.redis.del(
      ref?.upload_id !== undefined
        ? assessmentUploadKey(ref.upload_id, ':parts')
        : requestEssaysKey(assessmentId),
    );
  }

  /**
   * A sealed upload's parts, read one at a time in part-number order (each a JSON array of at most one part's
   * size). The upload must have been opened for this assessment: a reference cannot borrow another's essays.
   */
  private async loadUploadedEssays(
    assessmentId: string,
    ref: CJEssaysRefV1,
  ): Promise<CJEssayV1[] | null | 'mismatch'> {
    const uploadId = ref.upload_id!;
    const meta = await this.redis.hget(assessmentUploadKey(uploadId), 'meta');
    const partsKey = assessmentUploadKey(uploadId, ':parts');
    const numbers = (await this.redis.hkeys(partsKey)).map(Number).sort((a, b) => a - b);
    if (numbers.length === 0) return null;
    const owner = meta ? (JSON.parse(meta) as { request?: { assessment_id?: string } }).request : undefined;
    if (owner?.assessment_id !== assessmentId || numbers.length !== ref.parts) return 'mismatch';
    const essays: CJEssayV1[] = [];
    const digests: string[] = [];
    for (const n of numbers) {
      const json = await this.redis.hget(partsKey, String(n));
      if (json === null) return null;
      digests.push(sha256(json));
      for (const essay of JSON.parse(json) as CJEssayV1[]) essays.push(essay);
    }
    if (sha256(digests.join('')) !== ref.sha256 || essays.length !== ref.count) return 'mismatch';
    return essays;
  }
}
