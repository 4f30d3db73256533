import type {
  ComparisonRequest,
  CostQuote,
  EventEnvelope,
  LLMComparisonResultV1,
  ProviderName,
  ResolvedLlmConfig,
} from '#contracts';
import type { ProviderBatchRef } from '#llm-providers';

export const BATCH_STATUSES = [
  'queued',
  'submitted',
  'in_progress',
  'completed',
  'failed',
  'canceled',
  'expired',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Statuses a batch never leaves; reaching one starts the retention clock. */
export const TERMINAL_STATUSES: readonly BatchStatus[] = ['completed', 'failed', 'canceled', 'expired'];

export function isTerminal(status: BatchStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Statuses from which a batch can still move. */
export const ACTIVE_STATUSES: readonly BatchStatus[] = BATCH_STATUSES.filter((s) => !isTerminal(s));

/** `batch`: the provider's batch API; `individual`: capped concurrent single calls (the rollback path). */
export type BatchMode = 'batch' | 'individual';
/** `batch`: POST /comparison/batch; `single`: the individual endpoint (one comparison, its own queue). */
export type BatchKind = 'batch' | 'single';

export interface BatchCounts {
  succeeded: number;
  failed: number;
  pending: number;
}

export interface BatchRecord {
  batch_id: string;
  /** The tenant whose key submitted it; only that tenant sees it through the API (absent on internal records). */
  tenant_id?: string;
  kind: BatchKind;
  status: BatchStatus;
  mode: BatchMode;
  correlation_id: string;
  assessment_id: string | null;
  callback_topic: string;
  /** 0–10, higher is sooner. */
  priority: number;
  /** Snapshot taken at acceptance: the ONLY config used afterwards. */
  config: ResolvedLlmConfig;
  comparison_count: number;
  /**
   * sha256 of the canonical request body, which an idempotent repeat is compared by; '' for a batch stored without
   * an idempotency key (nothing can repeat it, so the body is not hashed).
   */
  request_hash: string;
  idempotency_key: string | null;
  created_at: string;
  submitted_at?: string;
  completed_at?: string;
  provider_ref?: ProviderBatchRef;
  /**
   * Provider submissions started (stored before each submitBatch call): above 1, an earlier attempt may have
   * created provider batches it never recorded, so the next one asks the provider to look for them first.
   */
  submit_attempts?: number;
  /**
   * Resubmissions of unfinished items after a provider batch expired with some finished (issue 9.6): each one
   * replaced `provider_ref` with a new provider batch holding only the items that had no result yet.
   */
  expiry_resubmissions?: number;
  /** Times the provider refused a part for quota (issue 9.5): the part waited and was resubmitted. */
  quota_refusals?: number;
  /**
   * Provider batches this batch created and then let go of: expired parts replaced by a resubmission of their
   * unfinished items, parts refused for quota and created again. Kept so a provider batch is never forgotten
   * (audits, drills and operators can account for every provider batch the batch ever created).
   */
  retired_provider_batch_ids?: string[];
  /** Maintained by the repository from stored results; values passed to create/transition are ignored. */
  counts: BatchCounts;
  /**
   * Sum of the stored results' costs (maintained by the repository); null when any stored result's cost is
   * unknown (an unlisted model without a price): unknown, never reported as 0.
   */
  cost_usd: number | null;
  /** What the same results would have cost as individual requests (maintained by the repository); null: unknown. */
  individual_cost_usd: number | null;
  /** Set by requestCancel; the worker cancels the provider batch and finishes with status `canceled`. */
  cancel_requested?: boolean;
  /** The cost quote at acceptance (POST /comparison/batch), shown beside the actual cost. */
  quote?: CostQuote;
  error?: { code: string; message: string };
}

/** Fields a caller supplies to `create`; the repository fills status, counts and costs. */
export type NewBatchRecord = Omit<BatchRecord, 'status' | 'counts' | 'cost_usd' | 'individual_cost_usd'> & {
  status?: BatchStatus;
};

/** Fields `transition` may change besides the status. */
export type BatchPatch = Partial<
  Pick<
    BatchRecord,
    | 'mode'
    | 'submitted_at'
    | 'completed_at'
    | 'provider_ref'
    | 'submit_attempts'
    | 'expiry_resubmissions'
    | 'quota_refusals'
    | 'retired_provider_batch_ids'
    | 'error'
  >
>;

export type StoredComparison = ComparisonRequest & { index: number };

/** A comparison of the essay-referencing form: its essays by id (their text is stored once per batch). */
export interface EssayRefComparison {
  comparison_id: string;
  essay_a_id: string;
  essay_b_id: string;
  metadata?: Record<string, unknown>;
}

/** A batch in the essay-referencing form: the shared prompt and each essay once, comparisons by essay id. */
export interface EssayBatchContent {
  user_prompt: string;
  essays: Array<{ essay_id: string; text: string }>;
  comparisons: EssayRefComparison[];
}

/** What a batch is created from: comparisons with their essays inline, or the essay-referencing form. */
export type BatchContent = ComparisonRequest[] | EssayBatchContent;

export function isEssayContent(content: BatchContent): content is EssayBatchContent {
  return !Array.isArray(content);
}

export interface StoredResult {
  /** Position of the comparison in the request (0-based). */
  index: number;
  comparison_id: string;
  result: LLMComparisonResultV1;
  /** Cost of the same item as an individual request (for savings); defaults to result.cost_estimate; null: unknown. */
  individual_cost_usd?: number | null;
}

/** One Kafka message waiting in a batch's outbox (written atomically with the state change that caused it). */
export interface OutboxMessage {
  topic: string;
  key: string;
  envelope: EventEnvelope;
}

/** Why an event can never be delivered (it is moved to the batch's dead-letter list instead). */
export type DeadLetterReason = 'too_large' | 'topic_not_found' | 'topic_invalid' | 'topic_not_authorized';

/** An undeliverable event, kept with its reason for as long as the batch (RESULT_RETENTION_SECONDS). */
export interface DeadLetterRecord {
  reason: DeadLetterReason;
  /** The broker's or the size check's words. */
  detail: string;
  dead_lettered_at: string;
  message: OutboxMessage;
}

/** Provider of a stored batch, for metrics and status without parsing the whole config. */
export function providerOf(record: Pick<BatchRecord, 'config'>): ProviderName {
  return record.config.provider;
}
