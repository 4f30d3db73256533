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
  ValidateNested,
} from 'class-validator';
import { PROVIDER_NAMES, type CJAssessmentRequestedV1, type ProviderName } from '#contracts';

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const ID_MESSAGE = '$property must be 1-128 characters of letters, digits, dot, underscore or hyphen';
/** Shorter: batch correlation ids and comparison ids are built from it and the API caps those at 128. */
const ASSESSMENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,96}$/;
const ASSESSMENT_ID_MESSAGE =
  '$property must be 1-96 characters of letters, digits, dot, underscore or hyphen';

export class EssayDto {
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  essay_id: string;

  @IsString()
  @MinLength(1)
  @MaxLength(100_000)
  text: string;
}

export class LlmConfigDto {
  @IsOptional()
  @IsIn(PROVIDER_NAMES)
  provider_override?: ProviderName;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model_override?: string;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature_override?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  max_tokens_override?: number;

  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  system_prompt_override?: string;
}

/** Validation schema of CJAssessmentRequestedV1 `data` (unknown fields are refused). */
export class AssessmentRequestDto implements CJAssessmentRequestedV1 {
  @Matches(ASSESSMENT_ID_PATTERN, { message: ASSESSMENT_ID_MESSAGE })
  assessment_id: string;

  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => EssayDto)
  essays: EssayDto[];

  @IsString()
  @MinLength(1)
  @MaxLength(50_000)
  assignment: string;

  @IsString()
  @MinLength(1)
  @MaxLength(50_000)
  criteria: string;

  @IsOptional()
  @IsString()
  @MaxLength(50_000)
  instructions?: string;

  @IsObject()
  @ValidateNested()
  @Type(() => LlmConfigDto)
  llm_config: LlmConfigDto;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => LlmConfigDto)
  llm_config_overrides?: LlmConfigDto;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  comparisons_per_essay?: number;

  @IsOptional()
  @IsBoolean()
  both_orders?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2 ** 31 - 1)
  seed?: number;
}
