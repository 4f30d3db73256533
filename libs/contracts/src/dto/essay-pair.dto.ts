import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';

/** `metadata.assessment_id`, when present, must be a non-empty string: it is copied onto the batch and its events. */
export function HasValidAssessmentId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasValidAssessmentId',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'object' || value === null || !('assessment_id' in value)) return true;
          const id = (value as { assessment_id: unknown }).assessment_id;
          return typeof id === 'string' && id.length > 0 && id.length <= 128;
        },
        defaultMessage: () => 'metadata.assessment_id must be a string of 1–128 characters',
      },
    },
    options,
  );
}

/**
 * The essays and prompt of one comparison. Length caps are deployment settings (MAX_ESSAY_CHARS, MAX_PROMPT_CHARS)
 * and are checked by the API after this validation.
 */
export class EssayPairDto {
  @ApiProperty({ description: 'Instructions shared by an assessment (cacheable by providers)' })
  @IsString()
  @IsNotEmpty()
  user_prompt: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  essay_a: string;

  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  essay_b: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Echoed back verbatim as request_metadata; may carry assessment_id',
    example: { assessment_id: 'asmt-1', pair_index: 0 },
  })
  @IsOptional()
  @IsObject()
  @HasValidAssessmentId()
  metadata?: Record<string, unknown>;
}
