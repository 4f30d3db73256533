import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from '../errors/error-code.js';
import type { ErrorDetail } from '../errors/error-detail.js';
import {
  PROVIDER_NAMES,
  WINNERS,
  type ProviderName,
  type TokenUsage,
  type Winner,
} from '../comparison/comparison.types.js';
import type { LLMComparisonResultV1 } from '../events/llm-events.js';

export class TokenUsageDto implements TokenUsage {
  @ApiProperty() prompt_tokens: number;
  @ApiProperty() completion_tokens: number;
  @ApiProperty() total_tokens: number;
  @ApiPropertyOptional() cache_read_tokens?: number;
  @ApiPropertyOptional() cache_write_tokens?: number;
}

export class ErrorDetailDto implements ErrorDetail {
  @ApiProperty({ enum: Object.keys(ERROR_CODES) }) error_code: ErrorCode;
  @ApiProperty() message: string;
  @ApiProperty() correlation_id: string;
  @ApiProperty() timestamp: string;
  @ApiProperty() service: string;
  @ApiProperty() operation: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

/** One result: the LLMComparisonResultV1 fields plus the caller's comparison_id. */
export class ComparisonResultItemDto implements LLMComparisonResultV1 {
  @ApiProperty() comparison_id: string;
  @ApiProperty() request_id: string;
  @ApiProperty() correlation_id: string;
  @ApiPropertyOptional({ enum: WINNERS }) winner?: Winner;
  @ApiPropertyOptional({ maxLength: 500 }) justification?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 5 }) confidence?: number;
  @ApiPropertyOptional({ type: () => ErrorDetailDto, description: 'Present instead of the success fields' })
  error_detail?: ErrorDetailDto;
  @ApiProperty({ enum: PROVIDER_NAMES }) provider: ProviderName;
  @ApiProperty({ description: 'The requested model (the batch configuration)' }) model: string;
  @ApiPropertyOptional({
    description: 'The model the provider reported serving (e.g. a dated snapshot); information only',
  })
  served_model?: string;
  @ApiProperty() response_time_ms: number;
  @ApiProperty({ type: () => TokenUsageDto }) token_usage: TokenUsageDto;
  @ApiProperty({ type: Number, nullable: true, description: 'USD; null when the model has no known price' })
  cost_estimate: number | null;
  @ApiProperty() requested_at: string;
  @ApiProperty() completed_at: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) request_metadata: Record<string, unknown>;
  @ApiPropertyOptional() batch_id?: string;
}
