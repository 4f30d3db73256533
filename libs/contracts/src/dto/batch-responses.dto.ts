import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDER_NAMES, type ProviderName } from '../comparison/comparison.types.js';
import { ComparisonResultItemDto } from './comparison-result.dto.js';
import { CostQuoteDto } from './cost-quote.dto.js';

export const BATCH_STATUS_VALUES = [
  'queued',
  'submitted',
  'in_progress',
  'completed',
  'failed',
  'canceled',
  'expired',
] as const;
export type BatchStatusValue = (typeof BATCH_STATUS_VALUES)[number];

/** 202 of POST /comparison/batch. */
export class BatchAcceptedDto {
  @ApiProperty() batch_id: string;
  @ApiProperty({ enum: BATCH_STATUS_VALUES }) status: BatchStatusValue;
  @ApiProperty() comparison_count: number;
  @ApiProperty({ example: '/api/v1/comparison/batch/8d0c…' }) status_url: string;
}

/** 200 of POST /comparison/batch when every result was ready within `Prefer: wait`. */
export class BatchCompletedDto extends BatchAcceptedDto {
  @ApiProperty({ type: () => [ComparisonResultItemDto], description: 'In input order' })
  results: ComparisonResultItemDto[];
}

export class BatchCountsDto {
  @ApiProperty() total: number;
  @ApiProperty() succeeded: number;
  @ApiProperty() failed: number;
  @ApiProperty() pending: number;
}

export class BatchTimingsDto {
  @ApiProperty() created_at: string;
  @ApiPropertyOptional() submitted_at?: string;
  @ApiPropertyOptional() completed_at?: string;
  @ApiPropertyOptional({ description: 'From acceptance to the terminal state, or to now while running' })
  elapsed_ms?: number;
}

export class BatchErrorDto {
  @ApiProperty() code: string;
  @ApiProperty() message: string;
}

/** Provider parts of a batch split by the enqueued-token budget, and what quota is holding back. */
export class BatchQuotaDto {
  @ApiProperty({ description: 'Provider batches the comparisons are split into' }) parts_total: number;
  @ApiProperty({ description: 'Parts at the provider (running or finished)' }) parts_submitted: number;
  @ApiProperty({
    description: 'Parts in state waiting_quota: created once earlier parts leave the provider queue',
  })
  parts_waiting_quota: number;
  @ApiProperty({
    description: 'Times the provider refused a part for quota; each waited and was resubmitted',
  })
  refusals: number;
}

/** GET /comparison/batch/{batch_id}. */
export class BatchStatusDto {
  @ApiProperty() batch_id: string;
  @ApiProperty({ enum: BATCH_STATUS_VALUES }) status: BatchStatusValue;
  @ApiProperty({
    enum: ['batch', 'individual'],
    description: 'Provider batch API, or capped individual calls',
  })
  mode: 'batch' | 'individual';
  @ApiProperty() correlation_id: string;
  @ApiProperty({ nullable: true, type: String }) assessment_id: string | null;
  @ApiProperty() callback_topic: string;
  @ApiProperty() priority: number;
  @ApiProperty({ enum: PROVIDER_NAMES }) provider: ProviderName;
  @ApiProperty() model: string;
  @ApiProperty({ type: () => BatchCountsDto }) counts: BatchCountsDto;
  @ApiProperty({ type: [String] }) provider_batch_ids: string[];
  @ApiPropertyOptional({
    type: () => BatchQuotaDto,
    description: 'Present when parts wait for the provider/model enqueued-token quota or were refused for it',
  })
  quota?: BatchQuotaDto;
  @ApiProperty({ type: () => BatchTimingsDto }) timings: BatchTimingsDto;
  @ApiProperty({ type: Number, nullable: true, description: 'USD; null when the model has no known price' })
  cost_usd: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'What the stored results would have cost as individual requests; null when unknown',
  })
  individual_cost_usd: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'null when either cost is unknown' })
  estimated_savings_usd: number | null;
  @ApiPropertyOptional({
    type: () => CostQuoteDto,
    description:
      'The quote at acceptance, beside the actual cost_usd (absent on batches accepted before quotes)',
  })
  quote?: CostQuoteDto;
  @ApiProperty() cancel_requested: boolean;
  @ApiPropertyOptional({ type: () => BatchErrorDto }) error?: BatchErrorDto;
}

/** GET /comparison/batch/{batch_id}/results. */
export class BatchResultsPageDto {
  @ApiProperty() batch_id: string;
  @ApiProperty({ enum: BATCH_STATUS_VALUES }) status: BatchStatusValue;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
  @ApiProperty({ description: 'Comparisons in the batch' }) total: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Offset of the next page, null after the last' })
  next_offset: number | null;
  @ApiProperty({
    type: () => [ComparisonResultItemDto],
    description: 'Finished items of the page, input order',
  })
  items: ComparisonResultItemDto[];
}
