import type { ComparisonRequest } from '#contracts';
import {
  CompletionWatchers,
  IdempotencyConflictError,
  isEssayContent,
  isTerminal,
  type BatchContent,
  type BatchRecord,
  type NewBatchRecord,
  type StoredComparison,
  type StoredResult,
} from '#batch-store';

/**
 * In-memory stand-in for BatchRepository with the same idempotency semantics, for specs that check the HTTP
 * layer: every write is recorded so a spec can assert that a rejected request stored nothing.
 */
export class InMemoryBatchStore {
  readonly tenantLoad = new InMemoryTenantLoad();
  readonly records = new Map<string, BatchRecord>();
  private readonly requests = new Map<string, ComparisonRequest[]>();
  private readonly results = new Map<string, Map<number, StoredResult>>();
  private readonly keys = new Map<string, string>();
  /** Woken by `finish`, as the Redis store's terminal transition publishes (specs may leave it silent). */
  readonly completions = new CompletionWatchers();
  /** When false, `finish` does not notify: a lost notification, which held requests must survive. */
  notifyOnFinish = true;
  /** Called after each new batch is stored (specs use it to play the worker). */
  onCreated?: (record: BatchRecord, requests: ComparisonRequest[]) => void;

  /** Essay-referencing batches as stored (specs check that essays are kept once). */
  readonly essayForms = new Map<string, { user_prompt: string; essays: Map<string, string> }>();

  async create(
    record: NewBatchRecord,
    content: BatchContent,
  ): Promise<{ batch: BatchRecord; created: boolean }> {
    let requests: ComparisonRequest[];
    if (isEssayContent(content)) {
      const essays = new Map(content.essays.map((e) => [e.essay_id, e.text]));
      this.essayForms.set(record.batch_id, { user_prompt: content.user_prompt, essays });
      requests = content.comparisons.map((c) => ({
        comparison_id: c.comparison_id,
        user_prompt: content.user_prompt,
        essay_a: essays.get(c.essay_a_id)!,
        essay_b: essays.get(c.essay_b_id)!,
        ...(c.metadata !== undefined ? { metadata: c.metadata } : {}),
      }));
    } else {
      requests = content;
    }
    const existingId = record.idempotency_key ? this.keys.get(record.idempotency_key) : undefined;
    if (existingId) {
      const existing = this.records.get(existingId)!;
      if (existing.request_hash !== record.request_hash) {
        throw new IdempotencyConflictError(record.idempotency_key!, existingId);
      }
      return { batch: structuredClone(existing), created: false };
    }
    const full: BatchRecord = {
      ...record,
      status: record.status ?? 'queued',
      counts: { succeeded: 0, failed: 0, pending: record.comparison_count },
      cost_usd: 0,
      individual_cost_usd: 0,
    };
    this.records.set(full.batch_id, full);
    this.requests.set(full.batch_id, structuredClone(requests));
    if (record.idempotency_key) this.keys.set(record.idempotency_key, full.batch_id);
    this.onCreated?.(full, requests);
    return { batch: structuredClone(full), created: true };
  }

  async get(batchId: string): Promise<BatchRecord | null> {
    const record = this.records.get(batchId);
    return record ? structuredClone(record) : null;
  }

  async getRequests(batchId: string): Promise<StoredComparison[]> {
    return (this.requests.get(batchId) ?? []).map((request, index) => ({ ...request, index }));
  }

  async getResults(batchId: string, offset = 0, limit = 100): Promise<StoredResult[]> {
    const stored = this.results.get(batchId) ?? new Map<number, StoredResult>();
    const out: StoredResult[] = [];
    for (let index = offset; index < offset + limit; index += 1) {
      const result = stored.get(index);
      if (result) out.push(result);
    }
    return out;
  }

  async requestCancel(batchId: string): Promise<BatchRecord | null> {
    const record = this.records.get(batchId);
    if (!record) return null;
    if (!isTerminal(record.status)) record.cancel_requested = true;
    return structuredClone(record);
  }

  /**
   * Test control: finish a batch with the given results. `payload` plays a one-comparison run's notification,
   * which carries the finished batch (terminalPayload below, or any text: a message the api cannot use).
   */
  finish(
    batchId: string,
    results: StoredResult[],
    status: BatchRecord['status'] = 'completed',
    payload?: (record: BatchRecord) => string,
  ): void {
    const record = this.records.get(batchId)!;
    const byIndex = this.results.get(batchId) ?? new Map<number, StoredResult>();
    for (const result of results) byIndex.set(result.index, result);
    this.results.set(batchId, byIndex);
    const failed = results.filter((r) => r.result.error_detail).length;
    record.counts = {
      succeeded: results.length - failed,
      failed,
      pending: record.comparison_count - results.length,
    };
    record.status = status;
    record.completed_at = new Date().toISOString();
    if (this.notifyOnFinish) this.completions.notify(batchId, payload?.(structuredClone(record)));
  }
}

/**
 * The payload FINISH_WITH_RESULT_SCRIPT publishes after a batch id: the record's hash fields (the stored JSON
 * beside its counters) and the results' JSON.
 */
export function terminalPayload(record: BatchRecord, results: StoredResult[]): string {
  const { counts, cancel_requested: _cancel, cost_usd, individual_cost_usd, ...stored } = record;
  void _cancel;
  const fields: Record<string, string> = {
    record: JSON.stringify(stored),
    status: record.status,
    rev: '3',
    succeeded: String(counts.succeeded),
    failed: String(counts.failed),
    cost: String(cost_usd ?? 0),
    icost: String(individual_cost_usd ?? 0),
  };
  return JSON.stringify({ fields, results: results.map((r) => JSON.stringify(r)) });
}

export interface EnqueuedJob {
  queue: 'batches' | 'comparisons';
  batchId: string;
  priority: number;
}

/** Stand-in for BatchQueues that records what was enqueued; like BullMQ with job id = batch id, a repeat is a no-op. */
export class RecordingQueues {
  readonly jobs: EnqueuedJob[] = [];

  async enqueueBatch(batchId: string, priority: number): Promise<void> {
    this.add({ queue: 'batches', batchId, priority });
  }

  /** Batch ids whose delayed poll was promoted (a provider webhook woke them). */
  readonly promoted: string[] = [];

  async promoteBatch(batchId: string): Promise<boolean> {
    this.promoted.push(batchId);
    return true;
  }

  async enqueueSingle(batchId: string, priority: number): Promise<void> {
    this.add({ queue: 'comparisons', batchId, priority });
  }

  private add(job: EnqueuedJob): void {
    if (!this.jobs.some((existing) => existing.queue === job.queue && existing.batchId === job.batchId)) {
      this.jobs.push(job);
    }
  }
}

/** Stand-in for TenantLoadStore with the same semantics (per-second request counts, in-flight holders). */
export class InMemoryTenantLoad {
  private readonly windows = new Map<string, number>();
  readonly inFlight = new Map<string, Map<string, number>>();

  async hit(tenant: string, nowMs: number = Date.now()): Promise<number> {
    const key = `${tenant}:${Math.floor(nowMs / 1000)}`;
    const count = (this.windows.get(key) ?? 0) + 1;
    this.windows.set(key, count);
    return count;
  }

  async hitAndAcquire(
    tenant: string,
    nowMs: number,
    requestsPerSecond: number,
    hold: { batchId: string; comparisons: number; limit: number },
  ) {
    const requests = await this.hit(tenant, nowMs);
    if (requests > requestsPerSecond) return { requests, acquired: false, total: 0 };
    const { ok, total } = this.take(tenant, hold.batchId, hold.comparisons, hold.limit);
    return { requests, acquired: ok, total };
  }

  async acquire(tenant: string, batchId: string, comparisons: number, limit: number) {
    return this.take(tenant, batchId, comparisons, limit);
  }

  async release(tenant: string, batchId: string): Promise<number> {
    const held = this.inFlight.get(tenant);
    const n = held?.get(batchId) ?? 0;
    held?.delete(batchId);
    return n;
  }

  async holders(tenant: string): Promise<string[]> {
    return [...(this.inFlight.get(tenant)?.keys() ?? [])];
  }

  private take(tenant: string, batchId: string, comparisons: number, limit: number) {
    const held = this.inFlight.get(tenant) ?? new Map<string, number>();
    this.inFlight.set(tenant, held);
    const total = [...held.values()].reduce((a, b) => a + b, 0);
    if (held.has(batchId)) return { ok: true, total };
    if (total + comparisons > limit) return { ok: false, total };
    held.set(batchId, comparisons);
    return { ok: true, total: total + comparisons };
  }
}

/** Stand-in for BatchWakeups: the provider-batch index, delivery dedupe and wake flags, in memory. */
export class InMemoryWakeups {
  readonly index = new Map<string, string>();
  readonly deliveries = new Set<string>();
  readonly wakes = new Set<string>();

  constructor(private readonly store: InMemoryBatchStore) {}

  async indexProviderBatches(batchId: string, provider: string, ids: string[]): Promise<void> {
    for (const id of ids) this.index.set(`${provider}:${id}`, batchId);
  }

  async findBatch(provider: string, providerBatchId: string): Promise<string | null> {
    return this.index.get(`${provider}:${providerBatchId}`) ?? null;
  }

  async firstDelivery(provider: string, deliveryId: string): Promise<boolean> {
    const key = `${provider}:${deliveryId}`;
    if (this.deliveries.has(key)) return false;
    this.deliveries.add(key);
    return true;
  }

  async requestWake(batchId: string): Promise<boolean> {
    if (!this.store.records.has(batchId)) return false;
    this.wakes.add(batchId);
    return true;
  }

  async takeWake(batchId: string): Promise<boolean> {
    return this.wakes.delete(batchId);
  }
}
