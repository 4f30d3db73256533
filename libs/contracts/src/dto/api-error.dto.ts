import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from '../errors/error-code.js';

/** Codes of API error bodies: the shared error codes plus the HTTP-level rejections that have no event form. */
export const API_ONLY_ERROR_CODES = {
  PAYLOAD_TOO_LARGE: { retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { retryable: false },
  /** 422: the request's cost quote is above the caller's `max_cost_usd`. */
  COST_LIMIT_EXCEEDED: { retryable: false },
} as const;
export type ApiErrorCode = ErrorCode | keyof typeof API_ONLY_ERROR_CODES;

export function isRetryableApiCode(code: ApiErrorCode): boolean {
  return ({ ...ERROR_CODES, ...API_ONLY_ERROR_CODES } as Record<ApiErrorCode, { retryable: boolean }>)[code]
    .retryable;
}

export class ApiErrorBodyDto {
  @ApiProperty({ enum: [...Object.keys(ERROR_CODES), ...Object.keys(API_ONLY_ERROR_CODES)] })
  code: ApiErrorCode;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ description: 'Path of the offending field, e.g. comparisons[3].essay_a' })
  field?: string;
  @ApiProperty() retryable: boolean;
  @ApiProperty() correlation_id: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

/** Every 4xx/5xx of the API: `{error: {code, message, field?, retryable, correlation_id, details?}}`. */
export class ApiErrorDto {
  @ApiProperty({ type: () => ApiErrorBodyDto }) error: ApiErrorBodyDto;
}
