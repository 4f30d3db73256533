import type {
  BatchAcceptedDto,
  BatchQuotaDto,
  BatchStatusDto,
  ComparisonAcceptedDto,
  ComparisonResultItemDto,
  ComparisonStatusDto,
} from '#contracts';
import { isTerminal, type BatchRecord, type StoredResult } from '#batch-store';
import { statusUrlOfBatch, statusUrlOfComparison } from '../config/api-settings.js';

/** Pure mappings from stored records to the API's response bodies. */

export function toResultItem(stored: StoredResult): ComparisonResultItemDto {
  return { comparison_id: stored.comparison_id, ...stored.result } as ComparisonResultItemDto;
}

export function toBatchAccepted(record: BatchRecord): BatchAcceptedDto {
  return {
    batch_id: record.batch_id,
    status: record.status,
    comparison_count: record.comparison_count,
    status_url: statusUrlOfBatch(record.batch_id),
  };
}

export function toComparisonAccepted(record: BatchRecord): ComparisonAcceptedDto {
  return {
    queue_id: record.batch_id,
    status: record.status,
    status_url: statusUrlOfComparison(record.batch_id),
  };
}

export function toComparisonStatus(
  record: BatchRecord,
  comparisonId: string,
  result: StoredResult | undefined,
): ComparisonStatusDto {
  // The accepted view completed in place (not copied by a leading spread: Node 20's V8 slow path, see
  // bench/hot-object-shapes.bench.ts); every individual answer is built here.
  const status: ComparisonStatusDto = Object.assign(toComparisonAccepted(record), {
    comparison_id: comparisonId,
    correlation_id: record.correlation_id,
    priority: record.priority,
    created_at: record.created_at,
  });
  if (record.completed_at) status.completed_at = record.completed_at;
  if (result) status.result = toResultItem(result);
  if (record.error) status.error = record.error;
  return status;
}

/** Parts waiting for quota (state waiting_quota) and refusals, when there are any. */
function quotaView(record: BatchRecord): { quota?: BatchQuotaDto } {
  const ref = record.provider_ref;
  const total = ref?.part_count ?? 0;
  const submitted = ref?.parts.length ?? 0;
  const waiting = isTerminal(record.status) ? 0 : Math.max(0, total - submitted);
  const refusals = record.quota_refusals ?? 0;
  if (waiting === 0 && refusals === 0) return {};
  return {
    quota: { parts_total: total, parts_submitted: submitted, parts_waiting_quota: waiting, refusals },
  };
}

export function toBatchStatus(record: BatchRecord, now: Date = new Date()): BatchStatusDto {
  const end =
    record.completed_at && isTerminal(record.status) ? Date.parse(record.completed_at) : now.getTime();
  return {
    batch_id: record.batch_id,
    status: record.status,
    mode: record.mode,
    correlation_id: record.correlation_id,
    assessment_id: record.assessment_id,
    callback_topic: record.callback_topic,
    priority: record.priority,
    provider: record.config.provider,
    model: record.config.model,
    counts: { total: record.comparison_count, ...record.counts },
    provider_batch_ids: record.provider_ref?.parts.map((part) => part.provider_batch_id) ?? [],
    ...quotaView(record),
    timings: {
      created_at: record.created_at,
      ...(record.submitted_at ? { submitted_at: record.submitted_at } : {}),
      ...(record.completed_at ? { completed_at: record.completed_at } : {}),
      elapsed_ms: Math.max(0, end - Date.parse(record.created_at)),
    },
    cost_usd: record.cost_usd,
    individual_cost_usd: record.individual_cost_usd,
    estimated_savings_usd:
      record.cost_usd === null || record.individual_cost_usd === null
        ? null
        : Math.max(0, record.individual_cost_usd - record.cost_usd),
    ...(record.quote ? { quote: record.quote } : {}),
    cancel_requested: record.cancel_requested ?? false,
    ...(record.error ? { error: record.error } : {}),
  };
}
