import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import type { ComparisonBatchRequestDto, EssayBatchRequestDto } from '#contracts';
import { ComparisonRequestValidator } from '../validation/comparison-request.validator.js';
import { EssayBatchValidator } from '../validation/essay-batch.validator.js';

/** The two forms of POST /comparison/batch; one request uses one. */
export type BatchRequestBody = ComparisonBatchRequestDto | EssayBatchRequestDto;

/**
 * Picks the form of a batch body — `essays` present: the essay-referencing form (EssayBatchValidator), else the
 * inline form (ComparisonRequestValidator). Both validate in one linear pass and name the offending field.
 */
@Injectable()
export class EssayOrInlineBodyPipe implements PipeTransform {
  constructor(
    @Inject(ComparisonRequestValidator) private readonly inline: ComparisonRequestValidator,
    @Inject(EssayBatchValidator) private readonly essays: EssayBatchValidator,
  ) {}

  async transform(value: unknown): Promise<BatchRequestBody> {
    if (value && typeof value === 'object' && 'essays' in value) return this.essays.validate(value);
    return this.inline.batch(value);
  }
}
