import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ComparisonBatchRequestDto, EssayBatchRequestDto } from '#contracts';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { validationApiError } from '../http/validation-errors.js';
import { checkEssayForm, checkEssayFormCounts } from './essay-form.js';
import { RequestCapsPipe } from './request-caps.pipe.js';

/** The two forms of POST /comparison/batch; one request uses one. */
export type BatchRequestBody = ComparisonBatchRequestDto | EssayBatchRequestDto;

/** Same options as the global ValidationPipe (which skips this body: its declared type is a union). */
const VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false, value: false },
} as const;

/**
 * Picks the form of a batch body — `essays` present: the essay-referencing form, else comparisons with their
 * essays inline — checks the counts against the caps before any per-item work, then validates it as that form's
 * DTO and applies the deployment caps.
 */
@Injectable()
export class BatchBodyPipe implements PipeTransform {
  private readonly inlineCaps: RequestCapsPipe;

  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {
    this.inlineCaps = new RequestCapsPipe(settings);
  }

  transform(value: unknown): BatchRequestBody {
    const body = value as Record<string, unknown>;
    if ('essays' in body) {
      const essays = Array.isArray(body.essays) ? body.essays.length : 0;
      const comparisons = Array.isArray(body.comparisons) ? body.comparisons.length : 0;
      checkEssayFormCounts({ essays, comparisons }, this.settings);
      const dto = this.validated(EssayBatchRequestDto, body);
      checkEssayForm(dto, this.settings);
      return dto;
    }
    if (Array.isArray(body.comparisons) && body.comparisons.length > this.settings.maxComparisonsPerBatch) {
      const max = this.settings.maxComparisonsPerBatch;
      throw ApiError.invalid('comparisons', `comparisons may hold at most ${max} items`, {
        max,
        received: body.comparisons.length,
      });
    }
    return this.inlineCaps.transform(this.validated(ComparisonBatchRequestDto, body));
  }

  private validated<T extends object>(cls: new () => T, body: Record<string, unknown>): T {
    const dto = plainToInstance(cls, body);
    const errors = validateSync(dto, VALIDATION);
    if (errors.length > 0) throw validationApiError(errors);
    return dto;
  }
}
