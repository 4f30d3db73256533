import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import {
  AssessmentRequestDto,
  ComparisonBatchRequestDto,
  ComparisonRequestDto,
  type EssayPairDto,
} from '#contracts';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';

/**
 * Deployment caps that class-validator decorators cannot carry (they come from the environment): comparisons
 * per batch and characters per essay and prompt. Runs after the global ValidationPipe.
 */
@Injectable()
export class RequestCapsPipe implements PipeTransform {
  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  transform<T>(value: T): T {
    if (value instanceof ComparisonBatchRequestDto) {
      const max = this.settings.maxComparisonsPerBatch;
      if (value.comparisons.length > max) {
        throw ApiError.invalid('comparisons', `comparisons may hold at most ${max} items`, {
          max,
          received: value.comparisons.length,
        });
      }
      value.comparisons.forEach((item, i) => this.checkLengths(item, `comparisons[${i}].`));
    } else if (value instanceof ComparisonRequestDto) {
      this.checkLengths(value, '');
    } else if (value instanceof AssessmentRequestDto) {
      this.checkAssessment(value);
    }
    return value;
  }

  /** One batch holds every comparison of an assessment, and each essay takes part in at least one. */
  private checkAssessment(value: AssessmentRequestDto): void {
    const maxEssays = 2 * this.settings.maxComparisonsPerBatch;
    if (value.essays.length > maxEssays) {
      throw ApiError.invalid('essays', `essays may hold at most ${maxEssays} items`, {
        max: maxEssays,
        received: value.essays.length,
      });
    }
    value.essays.forEach((essay, i) => {
      if (essay.text.length > this.settings.maxEssayChars) {
        throw ApiError.invalid(
          `essays[${i}].text`,
          `essays[${i}].text may be at most ${this.settings.maxEssayChars} characters`,
          { max: this.settings.maxEssayChars, received: essay.text.length },
        );
      }
    });
    const shared = value.assignment.length + value.criteria.length + (value.instructions?.length ?? 0);
    if (shared > this.settings.maxPromptChars) {
      throw ApiError.invalid(
        'criteria',
        `assignment, criteria and instructions together may be at most ${this.settings.maxPromptChars} characters`,
        { max: this.settings.maxPromptChars, received: shared },
      );
    }
  }

  private checkLengths(pair: EssayPairDto, prefix: string): void {
    const limits: Array<[keyof EssayPairDto & string, number]> = [
      ['essay_a', this.settings.maxEssayChars],
      ['essay_b', this.settings.maxEssayChars],
      ['user_prompt', this.settings.maxPromptChars],
    ];
    for (const [field, max] of limits) {
      const length = (pair[field] as string).length;
      if (length > max) {
        throw ApiError.invalid(`${prefix}${field}`, `${prefix}${field} may be at most ${max} characters`, {
          max,
          received: length,
        });
      }
    }
  }
}
