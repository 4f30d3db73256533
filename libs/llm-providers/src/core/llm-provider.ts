import type {
  ComparisonAnswer,
  ComparisonRequest,
  LlmConfigOverrides,
  ProviderName,
  TokenUsage,
} from '#contracts';
import type { PartIntent } from './part-intent.js';
import type { ProviderError } from './provider-error.js';

/**
 * What one item cost, and what the same item would have cost as an individual (non-batch) request. Null when the
 * model has no known price (an unlisted model the operator allowed): unknown, never 0.
 */
export interface ItemCost {
  cost_usd: number | null;
  individual_cost_usd: number | null;
}

export interface ComparisonResponse {
  comparison_id: string;
  answer: ComparisonAnswer;
  provider: ProviderName;
  /** The requested model (the batch's configured model): the identity of the work, compared for integrity. */
  model: string;
  /** The model the provider says served the item (e.g. OpenAI's dated snapshot): information only. */
  served_model: string;
  usage: TokenUsage;
  cost: ItemCost;
  /** Wall time of the individual call; for batch items, submission to collection. */
  response_time_ms: number;
}

export interface ComparisonItemError {
  comparison_id: string;
  error: ProviderError;
}

/** Every input is in exactly one of the two lists; each list is in input order. */
export interface BatchComparisonOutcome {
  responses: ComparisonResponse[];
  errors: ComparisonItemError[];
}

/** One provider-side batch. A request set over a provider's limits becomes several parts. */
export interface ProviderBatchPart {
  /** Index of this part in the plan (0-based); stable across re-planning of the same input. */
  part_index: number;
  provider_batch_id: string;
  /** Comparison ids of this part, in input order. */
  comparison_ids: string[];
  /** Estimated tokens the part enqueues at the provider (set when an enqueued-token budget applies). */
  estimated_tokens?: number;
  /** Provider-specific, JSON-serialisable data needed later (e.g. custom_id mapping, input file id). */
  state?: Record<string, unknown>;
}

/** Serialisable handle to a submitted batch: persisted by the worker BEFORE any wait. */
export interface ProviderBatchRef {
  provider: ProviderName;
  model: string;
  /** Caller's stable key for this batch (our batch id); providers tag their batch with it where the API allows. */
  batch_key: string;
  /** Total number of parts the request set was split into. */
  part_count: number;
  parts: ProviderBatchPart[];
  submitted_at: string;
  /**
   * Providers whose batches carry no tag of ours: the part about to be created (stored before its create call).
   * Present in a returned ref whose parts are incomplete: an earlier attempt's batch may be that part and has not
   * ended yet, so it can be neither adopted nor ruled out; submit again later with this ref as `resumeFrom`.
   */
  pending_part?: PartIntent;
}

export type NormalisedBatchState =
  'validating' | 'in_progress' | 'finalizing' | 'ended' | 'failed' | 'expired' | 'canceling' | 'canceled';

export interface ProviderBatchStatus {
  /** Aggregated over parts: `ended` only when every part has ended (completed, expired with partial results, ...). */
  state: NormalisedBatchState;
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    processing: number;
    expired: number;
    canceled: number;
  };
  /** True when collectBatchResults can be called (every part finished in some way). */
  results_ready: boolean;
  parts: Array<{
    part_index: number;
    provider_batch_id: string;
    state: NormalisedBatchState;
    raw_status: string;
    /** Why a `failed` part failed (e.g. QUOTA_EXCEEDED: refused by the provider's queue limit, resubmit later). */
    error_code?: string;
  }>;
}

/** A planned part about to be created, as offered to SubmitBatchOptions.admitPart. */
export interface PartAdmission {
  part_index: number;
  /** Estimated tokens the part will enqueue (estimateRequestTokens summed). */
  estimated_tokens: number;
  /** The provider/model's enqueued-token budget the plan was made under. */
  budget: number;
}

export interface SubmitBatchOptions {
  /** Stable key of the batch (our batch id). */
  batchKey: string;
  /**
   * A ref stored by an earlier, interrupted submission: parts already in it are not submitted again, and the
   * first part missing from it is first looked for at the provider (as with `recoverSubmittedParts`).
   */
  resumeFrom?: ProviderBatchRef;
  /**
   * Set when an earlier submission of this batch may have started, even if nothing of it was recorded. Before
   * creating the first part the ref does not hold, a provider whose batches carry our tag (OpenAI metadata,
   * Gemini displayName) lists its recent batches and adopts the one created for that part, so a part created
   * but never recorded (a crash between its create call and `onPartSubmitted`) is not submitted again.
   * Anthropic and OpenRouter batches carry no tag: there the ref records a `pending_part` intent (time, request
   * count, first and last custom id) before each create, and recovery lists the batches created since with that
   * request count, adopting one only once its results' custom ids prove it is ours. A candidate still running
   * cannot be proven yet: submitBatch then returns the ref incomplete (parts < part_count, pending_part kept) and
   * the caller submits again later.
   */
  recoverSubmittedParts?: boolean;
  /**
   * Asked before each part is created when the model has an enqueued-token budget (`<P>_ENQUEUED_TOKEN_BUDGET`):
   * false stops the submission there, and the returned ref holds fewer parts than `part_count` (the rest wait
   * for quota; a later call with `resumeFrom` goes on). The caller reserves the part's tokens here.
   */
  admitPart?: (part: PartAdmission) => Promise<boolean>;
  /** Called after each part is created, before the next: the caller persists the growing ref here. */
  onPartSubmitted?: (ref: ProviderBatchRef) => Promise<void>;
  /**
   * Providers whose batches carry no tag of ours (Anthropic, OpenRouter) call this just before each create, with
   * the ref's `pending_part` set: the caller persists it like onPartSubmitted, so a crash after the create leaves
   * an intent to recover from (see recoverSubmittedParts).
   */
  onPartIntent?: (ref: ProviderBatchRef) => Promise<void>;
  /**
   * Where the provider should announce the end of this batch (OpenRouter `callback_url`, Gemini batch
   * `webhookConfig`); absent when the deployment receives no webhooks. OpenAI webhooks are configured per project
   * in its dashboard, and Anthropic has none: both ignore it.
   */
  notify?: BatchNotifyTarget;
}

/** The webhook a provider calls when a batch ends. */
export interface BatchNotifyTarget {
  /** Absolute URL, already carrying whatever lets our endpoint verify the call (see apps/api webhooks). */
  url: string;
  /** Echoed back by providers that carry user metadata (Gemini), to correlate without a lookup. */
  metadata: Record<string, string>;
}

export interface CollectOptions {
  /** Items per chunk handed to the callback (default 500); the last chunk may be smaller. */
  chunkSize?: number;
}

export interface BatchLimits {
  maxRequestsPerBatch: number;
  maxBytesPerBatch: number;
}

/**
 * The one protocol every provider implements. Errors are thrown as ProviderError (typed code + retryable);
 * per-item failures of a batch are returned in `errors`, never thrown.
 */
export interface LlmProvider {
  readonly name: ProviderName;
  readonly limits: BatchLimits;
  /** False when the provider has no credentials: it is then reported unavailable, never a crash. */
  isConfigured(): boolean;
  /** Whether the provider's batch API is used (false: batches are served by capped concurrent single calls). */
  supportsBatch(): boolean;
  /**
   * False when the provider cannot stop a running batch (OpenRouter has no cancel endpoint): cancelBatch then
   * returns without effect there and the caller ends the batch on its own side. Absent means true.
   */
  readonly cancelsAtProvider?: boolean;
  /**
   * True when every HTTP request of this provider honours a send gate (send-gate.ts): a caller may then start a
   * call before the gate's condition is known. Absent means false: wait for it before calling.
   */
  readonly gatesSends?: boolean;

  generateComparison(request: ComparisonRequest, overrides: LlmConfigOverrides): Promise<ComparisonResponse>;
  /** Convenience over submit → poll → collect (or concurrent single calls when batch is off). */
  generateBatchComparison(
    requests: ComparisonRequest[],
    overrides: LlmConfigOverrides,
  ): Promise<BatchComparisonOutcome>;

  submitBatch(
    requests: ComparisonRequest[],
    overrides: LlmConfigOverrides,
    options: SubmitBatchOptions,
  ): Promise<ProviderBatchRef>;
  getBatchStatus(ref: ProviderBatchRef): Promise<ProviderBatchStatus>;
  /** Results matched by id and returned in input order; unfinished items come back as BATCH_EXPIRED/CANCELED errors. */
  collectBatchResults(ref: ProviderBatchRef): Promise<BatchComparisonOutcome>;
  /**
   * The same results, handed over in chunks while they are read, part after part (within a part in the provider's
   * order): every comparison of the ref exactly once across all chunks, as a response or an error. Nothing holds
   * a whole batch's results (or a whole results file) at once, so a 100,000-comparison batch collects in bounded
   * memory. The next chunk is read only after `onChunk` resolved. If reading fails mid-way it throws; calling it
   * again hands over every item again from the start (the caller stores idempotently).
   */
  collectBatchResultsInChunks(
    ref: ProviderBatchRef,
    onChunk: (chunk: BatchComparisonOutcome) => Promise<void>,
    options?: CollectOptions,
  ): Promise<void>;
  cancelBatch(ref: ProviderBatchRef): Promise<void>;
}
