import type { ProviderName, TokenUsage, Winner } from '../comparison/comparison.types.js';
import type { ErrorDetail } from '../errors/error-detail.js';

/** Per-comparison result. Success fields and `error_detail` are never both present. */
export interface LLMComparisonResultV1 {
  request_id: string;
  correlation_id: string;
  winner?: Winner;
  justification?: string;
  confidence?: number;
  error_detail?: ErrorDetail;
  provider: ProviderName;
  /** The requested model: the same on every result of a batch, success or error. */
  model: string;
  /**
   * The model the provider reported serving (OpenAI answers `gpt-5-mini-2025-08-07` for `gpt-5-mini`); absent on
   * errors. Information only: never compare it for integrity.
   */
  served_model?: string;
  response_time_ms: number;
  token_usage: TokenUsage;
  /** USD; null when the model has no known price (an unlisted model): unknown, not free. */
  cost_estimate: number | null;
  requested_at: string;
  completed_at: string;
  /** The caller's metadata, echoed back verbatim. */
  request_metadata: Record<string, unknown>;
  /** Added fields (new fields may be added to the contract). */
  batch_id?: string;
  comparison_id?: string;
}

export interface LLMBatchRequestStartedV1 {
  batch_id: string;
  assessment_id: string | null;
  comparison_count: number;
  provider: ProviderName;
  correlation_id: string;
  model?: string;
  provider_batch_ids?: string[];
}

export interface LLMBatchCompletedV1 {
  batch_id: string;
  assessment_id: string | null;
  successful_comparisons: number;
  failed_comparisons: number;
  total_processing_time_ms: number;
  correlation_id: string;
  status?: string;
  provider?: ProviderName;
  model?: string;
  /** Sum of the item costs; null when the model has no known price (unknown, never 0); absent on older events. */
  cost_usd?: number | null;
  individual_cost_usd?: number | null;
}
