import type { ErrorCode } from './error-code.js';

/** `error_detail` of LLMComparisonResultV1 and of API error bodies (shared/reference/contracts.md). */
export interface ErrorDetail {
  error_code: ErrorCode;
  message: string;
  correlation_id: string;
  timestamp: string;
  service: string;
  operation: string;
  details?: Record<string, unknown>;
}
