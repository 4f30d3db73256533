import type { AppMetrics, ComparisonOutcome } from '#infra';
import type { BatchRecord, StoredResult } from '../batch.types.js';

function outcomeOf(stored: StoredResult): ComparisonOutcome {
  const code = stored.result.error_detail?.error_code;
  if (!code) return 'success';
  if (code === 'BATCH_EXPIRED') return 'expired';
  if (code === 'CANCELED') return 'canceled';
  return 'error';
}

/**
 * Comparisons, tokens and cost of newly stored results (call only for those, so a repeated step does not count
 * twice). Shared by whoever runs a request: a worker, or the API running an individual request itself.
 */
export function recordResultMetrics(metrics: AppMetrics, record: BatchRecord, results: StoredResult[]): void {
  const provider = record.config.provider;
  const outcomes = new Map<ComparisonOutcome, number>();
  const costs = new Map<string, { cost: number; individual: number }>();
  for (const stored of results) {
    const outcome = outcomeOf(stored);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (outcome !== 'success') continue;
    const { model, token_usage, cost_estimate } = stored.result;
    metrics.recordUsage(provider, model, token_usage);
    if (cost_estimate === null) continue; // unknown price (unlisted model): never counted as free
    const sum = costs.get(model) ?? { cost: 0, individual: 0 };
    sum.cost += cost_estimate;
    sum.individual += stored.individual_cost_usd ?? cost_estimate;
    costs.set(model, sum);
  }
  for (const [outcome, count] of outcomes) metrics.recordComparisons(provider, record.mode, outcome, count);
  for (const [model, sum] of costs) metrics.recordCost(provider, model, sum.cost, sum.individual);
}

/** A batch's (or individual request's) end, with its time since acceptance. */
export function recordFinishedMetric(metrics: AppMetrics, record: BatchRecord): void {
  const seconds = Math.max(0, (Date.now() - Date.parse(record.created_at)) / 1000);
  metrics.recordBatchFinished(record.config.provider, record.mode, record.status, seconds);
}
