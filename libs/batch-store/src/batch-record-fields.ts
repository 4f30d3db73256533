import type { BatchRecord, BatchStatus } from './batch.types.js';

/** A record as read (or written) at revision `rev`: the compare-and-set of its next write. */
export interface VersionedRecord {
  record: BatchRecord;
  rev: string;
}

/**
 * The record a batch's hash holds (HGETALL): the stored JSON with the counters kept beside it (counts and costs
 * are incremented by the result scripts, never rewritten into the JSON). Null when the hash has no record.
 */
export function recordFromFields(fields: Record<string, string | undefined>): VersionedRecord | null {
  if (!fields.record) return null;
  const base = JSON.parse(fields.record) as BatchRecord;
  const succeeded = Number(fields.succeeded ?? 0);
  const failed = Number(fields.failed ?? 0);
  // Completed in place (the parsed object is this function's own), not copied by a leading spread: on Node 20's V8
  // properties added to a spread's copy take a slow path, and every read of a batch comes through here.
  const record: BatchRecord = Object.assign(base, {
    status: fields.status as BatchStatus,
    counts: { succeeded, failed, pending: Math.max(0, base.comparison_count - succeeded - failed) },
    cost_usd: Number(fields.unpriced ?? 0) > 0 ? null : Number(fields.cost ?? 0),
    individual_cost_usd: Number(fields.iunpriced ?? 0) > 0 ? null : Number(fields.icost ?? 0),
    cancel_requested: fields.cancel === '1',
  } satisfies Partial<BatchRecord>);
  // Set by an individual run's take (TAKE_QUEUED_SCRIPT) until its final write stores it in the JSON.
  if (fields.submitted_at && !base.submitted_at) record.submitted_at = fields.submitted_at;
  return { record, rev: fields.rev as string };
}
