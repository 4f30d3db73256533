import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { AssessmentSubmitDto } from './assessment-api.dto.js';
import { AssessmentEssayDto } from './assessment-request.dto.js';

/**
 * Body of POST /api/v1/assessments/uploads: everything of POST /api/v1/assessments except the essays (they come
 * in parts), validated in full here; `max_cost_usd` is checked at the seal against the quote of the uploaded essays.
 */
export class AssessmentUploadCreateDto extends OmitType(AssessmentSubmitDto, ['essays'] as const) {}

/** Body of PUT .../assessments/uploads/{upload_id}/parts/{part_number}: a page of essays, at most UPLOAD_PART_MAX_BYTES. */
export class AssessmentUploadPartDto {
  @ApiProperty({
    type: () => [AssessmentEssayDto],
    minItems: 1,
    description:
      'Checked like the one-body form (fields named with the index within the part); an essay_id another part ' +
      'already holds is refused. The assessment lists essays in part-number order, then in order within a part',
  })
  essays: AssessmentEssayDto[];
}

/** An assessment upload's state. */
export class AssessmentUploadDto {
  @ApiProperty() upload_id: string;
  @ApiProperty({ description: 'The assessment the seal starts (given at create, or generated)' })
  assessment_id: string;
  @ApiProperty({
    enum: ['open', 'sealing', 'sealed'],
    description:
      'open: takes parts; sealing: a seal is checking it; sealed: handed to the assessment service',
  })
  status: 'open' | 'sealing' | 'sealed';
  @ApiProperty({ description: 'An upload not sealed by then is deleted with its parts' }) expires_at: string;
  @ApiProperty({ description: 'Largest part body in bytes' }) part_max_bytes: number;
  @ApiProperty() parts: number;
  @ApiProperty({ description: 'Essays received so far' }) essays: number;
  @ApiPropertyOptional({ description: 'Once sealed' }) status_url?: string;
  @ApiPropertyOptional({ description: 'Once sealed' }) report_url?: string;
}
