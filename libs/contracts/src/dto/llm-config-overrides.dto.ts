import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import {
  PROVIDER_NAMES,
  type LlmConfigOverrides,
  type ProviderName,
} from '../comparison/comparison.types.js';

/** Per-request choice of provider, model and settings; unset fields fall back to the configured defaults. */
export class LlmConfigOverridesDto implements LlmConfigOverrides {
  @ApiPropertyOptional({ enum: PROVIDER_NAMES, description: 'Provider to use instead of the default' })
  @IsOptional()
  @IsIn(PROVIDER_NAMES, { message: `provider_override must be one of: ${PROVIDER_NAMES.join(', ')}` })
  provider_override?: ProviderName;

  @ApiPropertyOptional({ maxLength: 200, example: 'claude-sonnet-4-6' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model_override?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature_override?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 200_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  max_tokens_override?: number;

  @ApiPropertyOptional({ maxLength: 20_000 })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  system_prompt_override?: string;
}
