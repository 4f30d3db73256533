import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';
import { RequestOptionsDto } from './comparison-batch-request.dto.js';
import { CALLER_ID_PATTERN, CALLER_ID_RULE } from './dto-patterns.js';
import { HasValidAssessmentId } from './essay-pair.dto.js';

/** One essay of the essay-referencing form: sent (and stored) once however many comparisons use it. */
export class EssayDto {
  @ApiProperty({
    pattern: CALLER_ID_PATTERN.source,
    description: 'Unique within the batch',
    example: 'e-0001',
  })
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `essay_id ${CALLER_ID_RULE}` })
  essay_id: string;

  @ApiProperty({ description: 'The essay text (at most MAX_ESSAY_CHARS characters)' })
  @IsString()
  @IsNotEmpty()
  text: string;
}

/** One comparison of the essay-referencing form: two essays of the same request, by id. */
export class EssayComparisonDto {
  @ApiProperty({
    pattern: CALLER_ID_PATTERN.source,
    description: 'Unique within the batch',
    example: 'pair-0001',
  })
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `comparison_id ${CALLER_ID_RULE}` })
  comparison_id: string;

  @ApiProperty({ description: 'essay_id of essay A (one of `essays`)', example: 'e-0001' })
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `essay_a_id ${CALLER_ID_RULE}` })
  essay_a_id: string;

  @ApiProperty({ description: 'essay_id of essay B (one of `essays`, not essay A)', example: 'e-0002' })
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `essay_b_id ${CALLER_ID_RULE}` })
  essay_b_id: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Echoed back verbatim as request_metadata; may carry assessment_id',
  })
  @IsOptional()
  @IsObject()
  @HasValidAssessmentId()
  metadata?: Record<string, unknown>;
}

/**
 * Body of POST /api/v1/comparison/batch in the essay-referencing form: every essay once, comparisons by essay id,
 * and the instructions every comparison shares once (`user_prompt`, the cacheable part of the prompt).
 */
export class EssayBatchRequestDto extends RequestOptionsDto {
  @ApiProperty({
    description: 'Instructions shared by every comparison of the batch (cacheable by providers)',
  })
  @IsString()
  @IsNotEmpty()
  user_prompt: string;

  @ApiProperty({ type: () => [EssayDto], description: 'Each essay once (at most MAX_ESSAYS_PER_BATCH)' })
  @IsArray()
  @ArrayMinSize(2)
  @ValidateNested({ each: true })
  @Type(() => EssayDto)
  essays: EssayDto[];

  @ApiProperty({
    type: () => [EssayComparisonDto],
    description: 'Results are returned and published in this order (at most MAX_COMPARISONS_PER_BATCH)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => EssayComparisonDto)
  comparisons: EssayComparisonDto[];

  @ApiPropertyOptional({
    minimum: 0,
    description: 'Refuse the batch (422 COST_LIMIT_EXCEEDED, nothing stored) when its quote is above this',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_cost_usd?: number;
}
