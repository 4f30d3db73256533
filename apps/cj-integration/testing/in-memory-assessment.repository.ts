import { createHash } from 'node:crypto';
import type { Pair } from '#cj-scoring';
import type { CJEssayV1, CJEssaysRefV1 } from '#contracts';
import type {
  AssessmentSubmissionRepository,
  StoredSubmission,
  AssessmentRecord,
  AssessmentRepository,
  RecordResultOutcome,
  StoredResult,
} from '#assessment-store';

type RepositoryApi = Pick<AssessmentRepository, keyof AssessmentRepository>;

/** AssessmentRepository in memory, with the same compare-and-set and duplicate rules (unit specs). */
export class InMemoryAssessmentRepository implements RepositoryApi {
  readonly records = new Map<string, AssessmentRecord>();
  readonly essays = new Map<string, Map<string, string>>();
  readonly pairs = new Map<string, Pair[]>();
  readonly results = new Map<string, Map<number, StoredResult>>();
  readonly events = new Set<string>();
  readonly batches = new Map<string, string>();
  readonly deadlines = new Map<string, number>();
  readonly retired = new Set<string>();
  readonly cancels = new Map<string, string>();
  readonly pendingCancelIds = new Map<string, number>();

  async create(
    record: AssessmentRecord,
    essays: ReadonlyArray<{ essay_id: string; text: string }>,
    pairs: readonly Pair[],
  ) {
    const existing = this.records.get(record.assessment_id);
    if (existing) return { record: clone(existing), created: false };
    this.records.set(record.assessment_id, clone(record));
    this.essays.set(record.assessment_id, new Map(essays.map((e) => [e.essay_id, e.text])));
    this.deadlines.set(record.assessment_id, record.deadline_at);
    this.pairs.set(record.assessment_id, clone([...pairs]));
    return { record: clone(record), created: true };
  }

  async get(id: string) {
    const record = this.records.get(id);
    return record ? clone(record) : null;
  }

  /** Frozen like the Redis repository's shared record, so a caller that changes it fails here too. */
  async getShared(id: string) {
    const record = this.records.get(id);
    return record ? freezeDeep(clone(record)) : null;
  }

  async compareAndSet(next: AssessmentRecord) {
    const current = this.records.get(next.assessment_id);
    if (!current || current.version !== next.version - 1) return false;
    this.records.set(next.assessment_id, clone(next));
    return true;
  }

  async update(id: string, change: (record: AssessmentRecord) => AssessmentRecord | null) {
    const current = await this.get(id);
    if (!current) return null;
    const next = change(current);
    if (!next) return current;
    if (!(await this.compareAndSet(next))) throw new Error('unexpected concurrent write in a unit spec');
    return clone(next);
  }

  async getPairs(id: string) {
    return clone(this.pairs.get(id) ?? []);
  }

  async appendPairs(id: string, start: number, pairs: readonly Pair[]) {
    const current = this.pairs.get(id) ?? [];
    if (current.length === start + pairs.length) return;
    if (current.length !== start)
      throw new Error(`assessment ${id}: the design does not end at pair ${start}`);
    this.pairs.set(id, [...current, ...clone([...pairs])]);
  }

  async getEssayTexts(id: string) {
    return new Map(this.essays.get(id) ?? []);
  }

  async recordResult(
    id: string,
    attempt: string,
    eventId: string,
    result: StoredResult,
  ): Promise<RecordResultOutcome> {
    if (this.events.has(`${id}/${eventId}`)) return 'duplicate_event';
    this.events.add(`${id}/${eventId}`);
    const key = `${id}/${attempt}`;
    const map = this.results.get(key) ?? new Map<number, StoredResult>();
    this.results.set(key, map);
    if (map.has(result.pair_index)) return 'duplicate_pair';
    map.set(result.pair_index, { ...result });
    return 'stored';
  }

  async getResults(id: string, attempt: string) {
    return new Map(this.results.get(`${id}/${attempt}`) ?? []);
  }

  async getResultsOf(id: string, attempt: string, indexes: readonly number[]) {
    const map = this.results.get(`${id}/${attempt}`) ?? new Map<number, StoredResult>();
    return new Map(indexes.flatMap((i) => (map.has(i) ? [[i, { ...map.get(i)! }] as const] : [])));
  }

  async requestCancel(id: string, now: Date, _ttlSeconds?: number) {
    if (!this.cancels.has(id)) this.cancels.set(id, now.toISOString());
    if (!this.pendingCancelIds.has(id)) this.pendingCancelIds.set(id, now.getTime());
  }

  async cancelRequestedAt(id: string) {
    return this.cancels.get(id) ?? null;
  }

  async pendingCancels() {
    return [...this.pendingCancelIds].map(([assessment_id, requested_at_ms]) => ({
      assessment_id,
      requested_at_ms,
    }));
  }

  async dropPendingCancel(id: string) {
    this.pendingCancelIds.delete(id);
  }

  async countResults(id: string, attempt: string) {
    return this.results.get(`${id}/${attempt}`)?.size ?? 0;
  }

  async linkBatch(batchId: string, id: string) {
    this.batches.set(batchId, id);
  }

  async assessmentForBatch(batchId: string) {
    return this.batches.get(batchId) ?? null;
  }

  async overdue(nowMs: number) {
    return [...this.deadlines].filter(([, at]) => at <= nowMs).map(([id]) => id);
  }

  async unfinished(offset = 0, limit = 500) {
    return [...this.deadlines]
      .sort((a, b) => a[1] - b[1])
      .slice(offset, offset + limit)
      .map(([id]) => id);
  }

  async dropDeadline(id: string) {
    this.deadlines.delete(id);
  }

  async retire(record: AssessmentRecord) {
    this.deadlines.delete(record.assessment_id);
    this.pendingCancelIds.delete(record.assessment_id);
    this.retired.add(record.assessment_id);
  }
}

/** AssessmentSubmissionRepository in memory (unit specs). */
export class InMemorySubmissionRepository implements Pick<
  AssessmentSubmissionRepository,
  keyof AssessmentSubmissionRepository
> {
  readonly stored = new Map<string, StoredSubmission>();

  async claim(submission: StoredSubmission['submission']) {
    const existing = this.stored.get(submission.assessment_id);
    if (existing) return { submission: clone(existing.submission), created: false };
    this.stored.set(submission.assessment_id, { submission: clone(submission), refusal: null });
    return { submission: clone(submission), created: true };
  }

  async release(id: string) {
    this.stored.delete(id);
  }

  async get(id: string) {
    const stored = this.stored.get(id);
    return stored ? clone(stored) : null;
  }

  async recordRefusal(id: string, refusal: NonNullable<StoredSubmission['refusal']>) {
    const stored = this.stored.get(id);
    if (!stored) return false;
    stored.refusal = clone(refusal);
    return true;
  }

  /** Essays stored by reference (CJAssessmentRequestedV1.essays_ref), as the JSON the Redis store keeps. */
  readonly requestEssays = new Map<string, string>();

  async storeRequestEssays(id: string, essays: CJEssayV1[]): Promise<CJEssaysRefV1> {
    const json = JSON.stringify(essays.map((e) => ({ essay_id: e.essay_id, text: e.text })));
    this.requestEssays.set(id, json);
    return { store: 'assessment-store', count: essays.length, sha256: sha256Hex(json) };
  }

  async loadRequestEssays(id: string, ref: CJEssaysRefV1): Promise<CJEssayV1[] | null | 'mismatch'> {
    const json = this.requestEssays.get(id);
    if (json === undefined) return null;
    const essays = JSON.parse(json) as CJEssayV1[];
    return sha256Hex(json) === ref.sha256 && essays.length === ref.count ? essays : 'mismatch';
  }

  async dropRequestEssays(id: string): Promise<void> {
    this.requestEssays.delete(id);
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function freezeDeep<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeDeep(child);
  }
  return value;
}
