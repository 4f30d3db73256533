import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BATCH_STATUS_VALUES, BatchErrorDto, type BatchStatusValue } from './batch-responses.dto.js';
import { ComparisonResultItemDto } from './comparison-result.dto.js';

/** 202 of POST /comparison. */
export class ComparisonAcceptedDto {
  @ApiProperty() queue_id: string;
  @ApiProperty({ enum: BATCH_STATUS_VALUES }) status: BatchStatusValue;
  @ApiProperty({ example: '/api/v1/comparison/8d0c…' }) status_url: string;
}

/** GET /comparison/{queue_id}, and the 200 of POST /comparison when the result came within `Prefer: wait`. */
export class ComparisonStatusDto extends ComparisonAcceptedDto {
  @ApiProperty() comparison_id: string;
  @ApiProperty() correlation_id: string;
  @ApiProperty() priority: number;
  @ApiProperty() created_at: string;
  @ApiPropertyOptional() completed_at?: string;
  @ApiPropertyOptional({ type: () => ComparisonResultItemDto, description: 'Present once finished' })
  result?: ComparisonResultItemDto;
  @ApiPropertyOptional({ type: () => BatchErrorDto }) error?: BatchErrorDto;
}
