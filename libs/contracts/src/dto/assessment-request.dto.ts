import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { CJAssessmentRequestedV1, CJDesignV1, CJEssayV1 } from '../events/cj-events.js';
import { LlmConfigOverridesDto } from './llm-config-overrides.dto.js';

const ESSAY_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const ESSAY_ID_MESSAGE = '$property must be 1-128 characters of letters, digits, dot, underscore or hyphen';
/** Shorter: batch correlation ids and comparison ids are built from it and the API caps those at 128. */
export const ASSESSMENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,96}$/;
const ASSESSMENT_ID_MESSAGE =
  '$property must be 1-96 characters of letters, digits, dot, underscore or hyphen';

export class AssessmentDesignDto implements CJDesignV1 {
  @ApiProperty({ enum: ['balanced', 'adaptive'] })
  @IsIn(['balanced', 'adaptive'])
  mode: 'balanced' | 'adaptive';

  @ApiPropertyOptional({
    minimum: 0.5,
    maximum: 0.99,
    description: 'adaptive (required): stop once the two-chain split-half reliability reaches this',
  })
  @ValidateIf((o: AssessmentDesignDto) => o.mode === 'adaptive' || o.target_reliability !== undefined)
  @IsNumber()
  @Min(0.5)
  @Max(0.99)
  target_reliability?: number;

  @ApiPropertyOptional({
    minimum: 2,
    maximum: 200,
    description: 'adaptive (required): most comparisons any essay takes part in',
  })
  @ValidateIf((o: AssessmentDesignDto) => o.mode === 'adaptive' || o.max_comparisons_per_essay !== undefined)
  @IsInt()
  @Min(2)
  @Max(200)
  max_comparisons_per_essay?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 50, description: "adaptive: round 1's balanced k (default 2)" })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  initial_comparisons_per_essay?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 50,
    description: 'adaptive: new comparisons per essay in each later round (default 1)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  comparisons_per_round?: number;
}

export class AssessmentEssayDto implements CJEssayV1 {
  @ApiProperty({ pattern: ESSAY_ID_PATTERN.source })
  @Matches(ESSAY_ID_PATTERN, { message: ESSAY_ID_MESSAGE })
  essay_id: string;

  @ApiProperty({ minLength: 1, maxLength: 100_000 })
  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  text: string;
}

/**
 * Validation schema of CJAssessmentRequestedV1 `data` (unknown fields are refused): what cj-integration accepts
 * from Kafka and the body of POST /api/v1/assessments.
 */
export class AssessmentRequestDto implements CJAssessmentRequestedV1 {
  @ApiProperty({ pattern: ASSESSMENT_ID_PATTERN.source })
  @Matches(ASSESSMENT_ID_PATTERN, { message: ASSESSMENT_ID_MESSAGE })
  assessment_id: string;

  @ApiProperty({ type: () => [AssessmentEssayDto], minItems: 2 })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => AssessmentEssayDto)
  essays: AssessmentEssayDto[];

  @ApiProperty({ description: 'The assignment (task) the essays answer', maxLength: 50_000 })
  @IsString()
  @MinLength(1)
  @MaxLength(50_000)
  assignment: string;

  @ApiProperty({ description: 'What makes an essay better (rubric / criteria)', maxLength: 50_000 })
  @IsString()
  @MinLength(1)
  @MaxLength(50_000)
  criteria: string;

  @ApiPropertyOptional({ description: 'Extra instructions for the judge', maxLength: 50_000 })
  @IsOptional()
  @IsString()
  @MaxLength(50_000)
  instructions?: string;

  @ApiProperty({
    type: () => LlmConfigOverridesDto,
    description: 'The one provider/model/config every comparison of the assessment uses',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => LlmConfigOverridesDto)
  llm_config: LlmConfigOverridesDto;

  @ApiPropertyOptional({
    type: () => LlmConfigOverridesDto,
    description: "The existing platform's name for the same config; must agree with llm_config",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LlmConfigOverridesDto)
  llm_config_overrides?: LlmConfigOverridesDto;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, description: 'Judgements per essay (default 10)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  comparisons_per_essay?: number;

  @ApiPropertyOptional({ description: 'Judge every pair in both orders (position-bias counter-balancing)' })
  @IsOptional()
  @IsBoolean()
  both_orders?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    description: 'Seed of the pair design (default: from the assessment id)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number;

  @ApiPropertyOptional({
    type: () => AssessmentDesignDto,
    description: 'Balanced one-shot design (default) or adaptive rounds',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AssessmentDesignDto)
  design?: AssessmentDesignDto;
}
