import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import {
  PROVIDER_NAMES,
  type LlmConfigOverrides,
  type ProviderName,
} from '../comparison/comparison.types.js';

/** The overrides' bounds: the DTO's rules below and the API's fast check of plain overrides read the same numbers. */
export const OVERRIDE_BOUNDS = {
  modelChars: { min: 1, max: 200 },
  temperature: { min: 0, max: 2 },
  maxTokens: { min: 1, max: 200_000 },
  systemPromptChars: { max: 20_000 },
} as const;
const B = OVERRIDE_BOUNDS;

/** Per-request choice of provider, model and settings; unset fields fall back to the configured defaults. */
export class LlmConfigOverridesDto implements LlmConfigOverrides {
  @ApiPropertyOptional({ enum: PROVIDER_NAMES, description: 'Provider to use instead of the default' })
  @IsOptional()
  @IsIn(PROVIDER_NAMES, { message: `provider_override must be one of: ${PROVIDER_NAMES.join(', ')}` })
  provider_override?: ProviderName;

  @ApiPropertyOptional({ maxLength: B.modelChars.max, example: 'claude-sonnet-4-6' })
  @IsOptional()
  @IsString()
  @MinLength(B.modelChars.min)
  @MaxLength(B.modelChars.max)
  model_override?: string;

  @ApiPropertyOptional({ minimum: B.temperature.min, maximum: B.temperature.max })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(B.temperature.min)
  @Max(B.temperature.max)
  temperature_override?: number;

  @ApiPropertyOptional({ minimum: B.maxTokens.min, maximum: B.maxTokens.max })
  @IsOptional()
  @IsInt()
  @Min(B.maxTokens.min)
  @Max(B.maxTokens.max)
  max_tokens_override?: number;

  @ApiPropertyOptional({ maxLength: B.systemPromptChars.max })
  @IsOptional()
  @IsString()
  @MaxLength(B.systemPromptChars.max)
  system_prompt_override?: string;
}
