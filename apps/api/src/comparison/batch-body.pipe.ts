import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ComparisonBatchRequestDto, EssayBatchRequestDto } from '#contracts';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { validationApiError } from '../http/validation-errors.js';
import { checkEssayForm, checkEssayFormCounts } from './essay-form.js';
import { ComparisonRequestValidator } from '../validation/comparison-request.validator.js';

/** The two forms of POST /comparison/batch; one request uses one. */
export type BatchRequestBody = ComparisonBatchRequestDto | EssayBatchRequestDto;

/** Same options as the global ValidationPipe (which skips this body: its declared type is a union). */
const VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false, value: false },
} as const;

/**
 * Picks the form of a batch body — `essays` present: the essay-referencing form (counts checked against the caps
 * before any per-item work, then the DTO and the linear essay-form checks), else the inline form, validated by
 * ComparisonRequestValidator.
 */
@Injectable()
export class EssayOrInlineBodyPipe implements PipeTransform {
  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    @Inject(ComparisonRequestValidator) private readonly inline: ComparisonRequestValidator,
  ) {}

  async transform(value: unknown): Promise<BatchRequestBody> {
    const body = value as Record<string, unknown>;
    if (body && typeof body === 'object' && 'essays' in body) {
      const essays = Array.isArray(body.essays) ? body.essays.length : 0;
      const comparisons = Array.isArray(body.comparisons) ? body.comparisons.length : 0;
      checkEssayFormCounts({ essays, comparisons }, this.settings);
      const dto = plainToInstance(EssayBatchRequestDto, body);
      const errors = validateSync(dto, VALIDATION);
      if (errors.length > 0) throw validationApiError(errors);
      checkEssayForm(dto, this.settings);
      return dto;
    }
    return this.inline.batch(value);
  }
}
