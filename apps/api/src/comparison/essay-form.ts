import type { EssayBatchRequestDto } from '#contracts';
import type { ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';

type EssayCaps = Pick<
  ApiSettings,
  'maxComparisonsPerBatch' | 'maxEssaysPerBatch' | 'maxEssayChars' | 'maxPromptChars'
>;

/** Counts first: run before any per-item work, so an oversized request costs nothing more. */
export function checkEssayFormCounts(counts: { essays: number; comparisons: number }, caps: EssayCaps): void {
  if (counts.essays > caps.maxEssaysPerBatch) {
    throw ApiError.invalid('essays', `essays may hold at most ${caps.maxEssaysPerBatch} items`, {
      max: caps.maxEssaysPerBatch,
      received: counts.essays,
    });
  }
  if (counts.comparisons > caps.maxComparisonsPerBatch) {
    throw ApiError.invalid(
      'comparisons',
      `comparisons may hold at most ${caps.maxComparisonsPerBatch} items`,
      {
        max: caps.maxComparisonsPerBatch,
        received: counts.comparisons,
      },
    );
  }
}

function tooLong(field: string, max: number, received: number): ApiError {
  return ApiError.invalid(field, `${field} may be at most ${max} characters`, { max, received });
}

/**
 * What class-validator cannot say about the essay-referencing form, in one linear pass each: lengths, unique
 * essay and comparison ids, every comparison naming two different essays of the request. Names the first
 * offending field.
 */
export function checkEssayForm(body: EssayBatchRequestDto, caps: EssayCaps): void {
  checkEssayFormCounts({ essays: body.essays.length, comparisons: body.comparisons.length }, caps);
  if (body.user_prompt.length > caps.maxPromptChars) {
    throw tooLong('user_prompt', caps.maxPromptChars, body.user_prompt.length);
  }
  const essayIds = new Set<string>();
  body.essays.forEach((essay, i) => {
    if (essay.text.length > caps.maxEssayChars) {
      throw tooLong(`essays[${i}].text`, caps.maxEssayChars, essay.text.length);
    }
    if (essayIds.has(essay.essay_id)) {
      throw ApiError.invalid(
        `essays[${i}].essay_id`,
        `essays[${i}].essay_id "${essay.essay_id}" appears twice`,
      );
    }
    essayIds.add(essay.essay_id);
  });
  const comparisonIds = new Set<string>();
  body.comparisons.forEach((item, i) => {
    if (comparisonIds.has(item.comparison_id)) {
      throw ApiError.invalid(
        `comparisons[${i}].comparison_id`,
        'comparisons must have unique comparison_id values',
      );
    }
    comparisonIds.add(item.comparison_id);
    for (const field of ['essay_a_id', 'essay_b_id'] as const) {
      if (!essayIds.has(item[field])) {
        throw ApiError.invalid(
          `comparisons[${i}].${field}`,
          `comparisons[${i}].${field} "${item[field]}" is not one of the request's essays`,
        );
      }
    }
    if (item.essay_a_id === item.essay_b_id) {
      throw ApiError.invalid(
        `comparisons[${i}].essay_b_id`,
        `comparisons[${i}] compares an essay with itself`,
      );
    }
  });
}
