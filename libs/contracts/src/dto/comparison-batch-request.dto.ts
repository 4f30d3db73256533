import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { PRIORITY } from '../queues.js';
import { TOPIC_NAME_PATTERN } from '../topics.js';
import { ComparisonItemDto } from './comparison-item.dto.js';
import { CALLER_ID_PATTERN, CALLER_ID_RULE } from './dto-patterns.js';
import { LlmConfigOverridesDto } from './llm-config-overrides.dto.js';

/** Fields shared by the batch and the individual request: settings, correlation and routing of the results. */
export class RequestOptionsDto {
  @ApiPropertyOptional({ type: () => LlmConfigOverridesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => LlmConfigOverridesDto)
  llm_config_overrides?: LlmConfigOverridesDto;

  @ApiPropertyOptional({
    pattern: CALLER_ID_PATTERN.source,
    description: 'Echoed on every event; also the idempotency key when no Idempotency-Key header is sent',
  })
  @IsOptional()
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `correlation_id ${CALLER_ID_RULE}` })
  correlation_id?: string;

  @ApiPropertyOptional({
    pattern: TOPIC_NAME_PATTERN.source,
    description: 'Kafka topic for the result events (default: <prefix>.llm_provider.comparison_result.v1)',
  })
  @IsOptional()
  @IsString()
  @Matches(TOPIC_NAME_PATTERN, {
    message: 'callback_topic must be a Kafka topic name ([a-zA-Z0-9._-], ≤ 249)',
  })
  callback_topic?: string;

  @ApiPropertyOptional({ minimum: PRIORITY.min, maximum: PRIORITY.max, default: PRIORITY.default })
  @IsOptional()
  @IsInt()
  @Min(PRIORITY.min)
  @Max(PRIORITY.max)
  priority?: number;
}

/** Body of POST /api/v1/comparison/batch. */
export class ComparisonBatchRequestDto extends RequestOptionsDto {
  @ApiProperty({
    type: () => [ComparisonItemDto],
    description: 'Results are returned and published in this order',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique((item: ComparisonItemDto | null) => item?.comparison_id, {
    message: 'comparisons must have unique comparison_id values',
  })
  @ValidateNested({ each: true })
  @Type(() => ComparisonItemDto)
  comparisons: ComparisonItemDto[];

  @ApiPropertyOptional({
    minimum: 0,
    description: 'Refuse the batch (422 COST_LIMIT_EXCEEDED, nothing stored) when its quote is above this',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_cost_usd?: number;
}
