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
  model: string;
  response_time_ms: number;
  token_usage: TokenUsage;
  cost_estimate: number;
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
  cost_usd?: number;
  individual_cost_usd?: number;
}
