import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { RequestOptionsDto } from './comparison-batch-request.dto.js';
import { CALLER_ID_PATTERN, CALLER_ID_RULE } from './dto-patterns.js';
import { EssayPairDto } from './essay-pair.dto.js';

/** Body of POST /api/v1/comparison: one comparison, queued with its priority. */
export class ComparisonRequestDto extends IntersectionType(EssayPairDto, RequestOptionsDto) {
  @ApiPropertyOptional({ pattern: CALLER_ID_PATTERN.source, description: 'Defaults to the queue_id' })
  @IsOptional()
  @IsString()
  @Matches(CALLER_ID_PATTERN, { message: `comparison_id ${CALLER_ID_RULE}` })
  comparison_id?: string;
}
