import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import type { ComparisonRequest } from '../comparison/comparison.types.js';
import { CALLER_ID_PATTERN, CALLER_ID_RULE } from './dto-patterns.js';
import { EssayPairDto } from './essay-pair.dto.js';

/** One comparison of a batch request. */
export class ComparisonItemDto extends EssayPairDto implements ComparisonRequest {
  @ApiProperty({
    pattern: CALLER_ID_PATTERN.source,
    description: 'Unique within the batch',
    example: 'pair-0001',
  })
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `comparison_id ${CALLER_ID_RULE}` })
  comparison_id: string;
}
