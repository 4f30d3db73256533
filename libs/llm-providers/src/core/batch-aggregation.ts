import type { ComparisonAnswer, TokenUsage } from '#contracts';
import type {
  BatchComparisonOutcome,
  ComparisonItemError,
  ComparisonResponse,
  ItemCost,
  NormalisedBatchState,
  ProviderBatchPart,
  ProviderBatchRef,
  ProviderBatchStatus,
} from './llm-provider.js';
import { ProviderError } from './provider-error.js';

export type BatchCounts = ProviderBatchStatus['counts'];

/** One provider batch's status, as a provider adapter reads it. */
export interface PartStatus {
  state: NormalisedBatchState;
  /** The provider's own status word, kept for operators. */
  raw_status: string;
  /** What the provider reports; missing counts are derived (total = the part's size). */
  counts?: Partial<BatchCounts>;
  /** Why a `failed` part failed; its items get this error. */
  error?: ProviderError;
  /**
   * Where the provider keeps a finished part's results, when its status names them (OpenAI's output and error
   * file ids): the results are read from there without asking for the status again.
   */
  result_files?: string[];
}

/** A parsed model answer for one item, before cost and timing are attached. */
export interface ItemAnswer {
  answer: ComparisonAnswer;
  usage: TokenUsage;
  /** The model the provider says answered (e.g. OpenAI's dated snapshot, Gemini's modelVersion). */
  model?: string;
  /** The item's final cost, when fixed before collection (e.g. an item served individually: no batch discount). */
  cost?: ItemCost;
  /** What the provider says it billed for this item in USD (OpenRouter `usage.cost`), when it reports it. */
  billed_cost_usd?: number;
}

/** One item of a part's results, in whatever order the provider returned them. */
export type PartItemResult =
  { comparison_id: string; answer: ItemAnswer } | { comparison_id: string; error: ProviderError };

export const FINISHED_STATES: ReadonlySet<NormalisedBatchState> = new Set([
  'ended',
  'failed',
  'expired',
  'canceled',
]);
const ACTIVE_ORDER: NormalisedBatchState[] = ['validating', 'in_progress', 'finalizing'];

export function isFinished(state: NormalisedBatchState): boolean {
  return FINISHED_STATES.has(state);
}

/**
 * One status for a batch split into parts. While anything runs, the least advanced state wins (`canceling`
 * first); when every submitted part has finished and no part is missing, results are ready and the state is
 * the common final state, or `ended` for a mix that includes ended parts.
 */
export function mergePartStatuses(ref: ProviderBatchRef, statuses: PartStatus[]): ProviderBatchStatus {
  const parts = ref.parts.map((part, i) => ({
    part_index: part.part_index,
    provider_batch_id: part.provider_batch_id,
    state: statuses[i].state,
    raw_status: statuses[i].raw_status,
    ...(statuses[i].error ? { error_code: statuses[i].error.code } : {}),
  }));
  const counts = sumCounts(ref.parts, statuses);
  const allSubmitted = ref.parts.length >= ref.part_count;
  const states = statuses.map((s) => s.state);
  const running = states.filter((s) => !isFinished(s));
  if (running.length > 0 || !allSubmitted || states.length === 0) {
    return {
      state: runningState(running, states.length - running.length),
      counts,
      results_ready: false,
      parts,
    };
  }
  return { state: finalState(states), counts, results_ready: true, parts };
}

function runningState(running: NormalisedBatchState[], finishedCount: number): NormalisedBatchState {
  if (running.includes('canceling')) return 'canceling';
  const least = ACTIVE_ORDER.find((state) => running.includes(state)) ?? 'validating';
  return least === 'validating' && (finishedCount > 0 || running.some((s) => s !== 'validating'))
    ? 'in_progress'
    : least;
}

function finalState(states: NormalisedBatchState[]): NormalisedBatchState {
  if (states.every((s) => s === states[0])) return states[0];
  if (states.includes('ended')) return 'ended';
  return (['canceled', 'expired', 'failed'] as const).find((s) => states.includes(s)) ?? 'ended';
}

function sumCounts(parts: ProviderBatchPart[], statuses: PartStatus[]): BatchCounts {
  const total: BatchCounts = { total: 0, succeeded: 0, failed: 0, processing: 0, expired: 0, canceled: 0 };
  parts.forEach((part, i) => {
    const { state, counts = {} } = statuses[i];
    const size = counts.total ?? part.comparison_ids.length;
    const succeeded = counts.succeeded ?? (state === 'ended' && counts.failed === undefined ? size : 0);
    const failed = counts.failed ?? (state === 'failed' ? size : 0);
    const expired = counts.expired ?? 0;
    const canceled = counts.canceled ?? 0;
    const settled = succeeded + failed + expired + canceled;
    total.total += size;
    total.succeeded += succeeded;
    total.failed += failed;
    total.expired += expired;
    total.canceled += canceled;
    total.processing += counts.processing ?? (isFinished(state) ? 0 : Math.max(0, size - settled));
  });
  return total;
}

/**
 * Puts every item of every part back in input order, each exactly once: the first result per id wins, ids the
 * part never sent are ignored, and an item without a result gets an error that says why (its part was canceled,
 * failed, or expired / never finished).
 */
export function mergePartOutcomes(
  ref: ProviderBatchRef,
  partResults: Array<{ status: PartStatus; items: PartItemResult[] }>,
  toResponse: (comparisonId: string, answer: ItemAnswer) => ComparisonResponse,
): BatchComparisonOutcome {
  const responses: ComparisonResponse[] = [];
  const errors: ComparisonItemError[] = [];
  const order = ref.parts
    .map((part, i) => ({ part, ...partResults[i] }))
    .sort((a, b) => a.part.part_index - b.part.part_index);
  for (const { part, status, items } of order) {
    const byId = new Map<string, PartItemResult>();
    const expected = new Set(part.comparison_ids);
    for (const item of items) {
      if (expected.has(item.comparison_id) && !byId.has(item.comparison_id))
        byId.set(item.comparison_id, item);
    }
    for (const comparisonId of part.comparison_ids) {
      const item = byId.get(comparisonId);
      if (item && 'answer' in item) responses.push(toResponse(comparisonId, item.answer));
      else
        errors.push({
          comparison_id: comparisonId,
          error: item?.error ?? missingItemError(ref, part, status),
        });
    }
  }
  return { responses, errors };
}

export function missingItemError(
  ref: ProviderBatchRef,
  part: ProviderBatchPart,
  status: PartStatus,
): ProviderError {
  const options = { provider: ref.provider, details: { provider_batch_id: part.provider_batch_id } };
  if (status.state === 'canceled' || status.state === 'canceling') {
    return new ProviderError('CANCELED', 'Batch was canceled before this item finished', options);
  }
  if (status.state === 'failed') {
    return status.error ?? new ProviderError('EXTERNAL_SERVICE_ERROR', 'Provider batch failed', options);
  }
  return new ProviderError('BATCH_EXPIRED', 'Provider batch ended without a result for this item', options);
}
