import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Query of GET /comparison/batch/{batch_id}/results. */
export class ResultsPageQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Index of the first comparison of the page' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  offset?: number;

  @ApiPropertyOptional({
    minimum: 1,
    default: 100,
    description: 'Page size (capped by RESULTS_PAGE_MAX_LIMIT)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit?: number;
}
