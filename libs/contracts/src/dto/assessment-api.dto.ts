import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNumber, IsOptional, Matches, Min } from 'class-validator';
import { PROVIDER_NAMES, WINNERS, type ProviderName, type Winner } from '../comparison/comparison.types.js';
import type { CJBatchKind } from '../events/cj-events.js';
import { ASSESSMENT_ID_PATTERN, AssessmentRequestDto } from './assessment-request.dto.js';
import { CostQuoteDto } from './cost-quote.dto.js';

/** Body of POST /api/v1/assessments: CJAssessmentRequestedV1's data, the id optional, and a cost ceiling. */
export class AssessmentSubmitDto extends AssessmentRequestDto {
  @ApiPropertyOptional({
    pattern: ASSESSMENT_ID_PATTERN.source,
    description: 'Generated (a UUID) when absent; resending the same body with the same id is idempotent',
  })
  @IsOptional()
  @Matches(ASSESSMENT_ID_PATTERN, {
    message: 'assessment_id must be 1-96 characters of letters, digits, dot, underscore or hyphen',
  })
  declare assessment_id: string;

  @ApiPropertyOptional({
    minimum: 0,
    description: 'Refuse the request (422 COST_LIMIT_EXCEEDED, nothing stored) when its quote is above this',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_cost_usd?: number;
}

export const ASSESSMENT_STATUS_VALUES = [
  'queued',
  'running',
  'cancelling',
  'completed',
  'failed',
  'cancelled',
] as const;
export type AssessmentStatusValue = (typeof ASSESSMENT_STATUS_VALUES)[number];

/** 202 of POST /api/v1/assessments. */
export class AssessmentAcceptedDto {
  @ApiProperty() assessment_id: string;
  @ApiProperty({ enum: ASSESSMENT_STATUS_VALUES }) status: AssessmentStatusValue;
  @ApiProperty({ example: '/api/v1/assessments/essays-2026' }) status_url: string;
  @ApiProperty({ example: '/api/v1/assessments/essays-2026/report' }) report_url: string;
  @ApiProperty({ type: () => CostQuoteDto }) quote: CostQuoteDto;
}

export class AssessmentBatchDto {
  @ApiProperty() batch_id: string;
  @ApiProperty({ enum: ['main', 'follow_up'] }) kind: CJBatchKind;
  @ApiProperty() attempt: number;
  @ApiPropertyOptional({ description: 'Adaptive round of the batch (1 = the initial balanced design)' })
  round?: number;
  @ApiProperty() comparison_count: number;
  @ApiProperty() status: string;
  @ApiProperty() succeeded: number;
  @ApiProperty() failed: number;
}

export class AssessmentProgressDto {
  @ApiProperty({ description: 'Comparisons of the design so far (grows with adaptive rounds)' })
  comparisons_total: number;
  @ApiProperty({ description: 'Comparisons with a judgement' }) comparisons_done: number;
  @ApiProperty({ description: 'Comparisons whose latest attempt returned an error' })
  comparisons_failed: number;
  @ApiProperty({ description: 'Rounds started (1 for a one-shot assessment)' }) rounds: number;
  @ApiProperty({ type: () => [AssessmentBatchDto] }) batches: AssessmentBatchDto[];
}

export class AssessmentRankingDto {
  @ApiProperty() essay_id: string;
  @ApiProperty({ description: 'Bradley-Terry ability (logit scale, sum-to-zero)' }) score: number;
  @ApiProperty({ nullable: true, type: Number }) se: number | null;
  @ApiProperty() rank: number;
  @ApiProperty() wins: number;
  @ApiProperty() losses: number;
  @ApiProperty() comparisons: number;
}

export class PositionEffectDto {
  @ApiProperty({ description: 'Log-odds bonus of the essay shown first (Essay A); 0 = none' })
  estimate: number;
  @ApiProperty({ nullable: true, type: Number }) se: number | null;
  @ApiProperty({ nullable: true, type: Number }) ci_lower: number | null;
  @ApiProperty({ nullable: true, type: Number }) ci_upper: number | null;
}

export class PositionBiasDto {
  @ApiProperty() a_wins: number;
  @ApiProperty() total: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Share of judgements won by Essay A' })
  share: number | null;
}

/** The outcome of a completed assessment. */
export class AssessmentResultDto {
  @ApiProperty({ type: () => [AssessmentRankingDto], description: 'Best first' })
  rankings: AssessmentRankingDto[];
  @ApiProperty({ nullable: true, type: Number, description: 'Scale separation reliability' })
  ssr: number | null;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'Split-half reliability (Spearman-Brown), not inflated by adaptive pairing; when computed',
  })
  split_half_reliability?: number | null;
  @ApiProperty({ type: () => PositionBiasDto }) position_bias: PositionBiasDto;
  @ApiPropertyOptional({ type: () => PositionEffectDto, nullable: true })
  position_effect?: PositionEffectDto | null;
  @ApiProperty() comparisons_requested: number;
  @ApiProperty() comparisons_succeeded: number;
  @ApiProperty() comparisons_failed: number;
  @ApiProperty() duration_ms: number;
}

export class AssessmentCostDto {
  @ApiProperty({ type: () => CostQuoteDto, nullable: true, description: 'The quote at acceptance' })
  quote: CostQuoteDto | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Spent so far (final once the assessment ended); null when the model has no known price',
  })
  actual_cost_usd: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'What the same comparisons would have cost as individual requests; null when unknown',
  })
  individual_cost_usd: number | null;
  @ApiProperty({ type: Number, nullable: true }) savings_usd: number | null;
}

export class AssessmentConfigDto {
  @ApiProperty({ enum: PROVIDER_NAMES, nullable: true, type: String }) provider: ProviderName | null;
  @ApiProperty({ nullable: true, type: String }) model: string | null;
  @ApiPropertyOptional() temperature?: number;
  @ApiPropertyOptional() max_tokens?: number;
  @ApiProperty({ description: 'Whether a system prompt override is set' }) system_prompt_override: boolean;
}

export class AssessmentErrorDto {
  @ApiProperty({ description: 'CJ failure reason, e.g. CANCELLED, BATCH_FAILED' }) reason_code: string;
  @ApiProperty() message: string;
}

/** GET /api/v1/assessments/{id}. */
export class AssessmentStatusDto {
  @ApiProperty() assessment_id: string;
  @ApiProperty({ enum: ASSESSMENT_STATUS_VALUES }) status: AssessmentStatusValue;
  @ApiProperty() correlation_id: string;
  @ApiProperty() accepted_at: string;
  @ApiProperty() essay_count: number;
  @ApiPropertyOptional({ nullable: true, type: String }) cancel_requested_at?: string | null;
  @ApiProperty({ type: () => AssessmentProgressDto }) progress: AssessmentProgressDto;
  @ApiProperty({ type: () => AssessmentConfigDto }) config: AssessmentConfigDto;
  @ApiProperty({ type: () => AssessmentCostDto }) cost: AssessmentCostDto;
  @ApiPropertyOptional({ type: () => AssessmentResultDto, description: 'Once completed' })
  result?: AssessmentResultDto;
  @ApiPropertyOptional({ type: () => AssessmentErrorDto, description: 'Once failed or cancelled' })
  error?: AssessmentErrorDto;
  @ApiProperty({ example: '/api/v1/assessments/essays-2026/report' }) report_url: string;
  @ApiProperty({ example: '/api/v1/assessments/essays-2026/judgements' }) judgements_url: string;
}

export const JUDGEMENT_STATUS_VALUES = ['pending', 'judged', 'failed'] as const;

export class AssessmentJudgementDto {
  @ApiProperty({ description: 'Position in the pair design (the order judgements are scored in)' })
  pair_index: number;
  @ApiProperty({ description: 'Essay shown first' }) essay_a: string;
  @ApiProperty({ description: 'Essay shown second' }) essay_b: string;
  @ApiProperty({ enum: JUDGEMENT_STATUS_VALUES }) status: (typeof JUDGEMENT_STATUS_VALUES)[number];
  @ApiProperty({ enum: WINNERS, nullable: true, type: String }) winner: Winner | null;
  @ApiProperty({ nullable: true, type: String, description: 'essay_id of the winner' })
  winner_essay_id: string | null;
  @ApiPropertyOptional() justification?: string;
  @ApiPropertyOptional() confidence?: number;
  @ApiPropertyOptional({ nullable: true, type: String }) error_code?: string | null;
}

/** GET /api/v1/assessments/{id}/judgements. */
export class AssessmentJudgementsPageDto {
  @ApiProperty() assessment_id: string;
  @ApiProperty({ enum: ASSESSMENT_STATUS_VALUES }) status: AssessmentStatusValue;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
  @ApiProperty({ description: 'Pairs in the design' }) total: number;
  @ApiProperty({ nullable: true, type: Number }) next_offset: number | null;
  @ApiProperty({ type: () => [AssessmentJudgementDto], description: 'In pair order' })
  items: AssessmentJudgementDto[];
}
