import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsNotEmpty, IsNumber, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { RequestOptionsDto } from './comparison-batch-request.dto.js';
import { EssayComparisonDto, EssayDto } from './essay-batch-request.dto.js';

/** Body of POST /api/v1/comparison/batch/uploads: the batch's options and shared prompt; content comes in parts. */
export class BatchUploadCreateDto extends RequestOptionsDto {
  @ApiProperty({
    description: 'Instructions shared by every comparison of the batch (cacheable by providers)',
  })
  @IsString()
  @IsNotEmpty()
  user_prompt: string;

  @ApiPropertyOptional({
    minimum: 0,
    description:
      'Checked at the seal: the batch is refused (422 COST_LIMIT_EXCEEDED naming max_cost_usd, nothing created; ' +
      'the parts stay until the upload expires) when the quote of the uploaded content is above this',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_cost_usd?: number;
}

/** Body of PUT .../uploads/{upload_id}/parts/{part_number}: essays and/or comparisons, at most UPLOAD_PART_MAX_BYTES. */
export class BatchUploadPartDto {
  @ApiPropertyOptional({ type: () => [EssayDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => EssayDto)
  essays?: EssayDto[];

  @ApiPropertyOptional({
    type: () => [EssayComparisonDto],
    description: 'The batch lists comparisons in part-number order, then in order within a part',
  })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => EssayComparisonDto)
  comparisons?: EssayComparisonDto[];
}

/** An upload's state. */
export class BatchUploadDto {
  @ApiProperty() upload_id: string;
  @ApiProperty({ enum: ['open', 'sealed'] }) status: 'open' | 'sealed';
  @ApiProperty({ description: 'An upload not sealed by then is deleted' }) expires_at: string;
  @ApiProperty({ description: 'Largest part body in bytes' }) part_max_bytes: number;
  @ApiProperty() parts: number;
  @ApiProperty() essays: number;
  @ApiProperty() comparisons: number;
  @ApiPropertyOptional({ description: 'Once sealed: the batch (same id as the upload)' }) batch_id?: string;
  @ApiPropertyOptional() status_url?: string;
}
