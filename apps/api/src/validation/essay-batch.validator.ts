import { Inject, Injectable } from '@nestjs/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CALLER_ID_PATTERN, CALLER_ID_RULE, type EssayBatchRequestDto } from '#contracts';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { checkEssayForm, checkEssayFormCounts } from '../comparison/essay-form.js';
import {
  ComparisonRequestValidator,
  OPTION_KEYS,
  SLICE_MS,
  checkMaxCost,
  refuseUnknownKeys,
} from './comparison-request.validator.js';
import { checkMetadata, isPlainObject } from './metadata-checks.js';
import { checkRequiredText } from './text-checks.js';

/** The validated essay-referencing body (an intersection type: Nest's ValidationPipe leaves it alone). */
export type ValidatedEssayBatchRequest = EssayBatchRequestDto & { readonly validated?: true };

const BODY_KEYS = new Set<string>([...OPTION_KEYS, 'user_prompt', 'essays', 'comparisons', 'max_cost_usd']);
const ESSAY_KEYS = new Set<string>(['essay_id', 'text']);
const ITEM_KEYS = new Set<string>(['comparison_id', 'essay_a_id', 'essay_b_id', 'metadata']);

/**
 * The essay-referencing form of POST /comparison/batch in one linear pass (class-validator over 10,000 nested
 * DTOs was the ingest bottleneck): counts against the caps before any per-item work, then each essay and each
 * comparison, yielding to the event loop every ~10 ms; then the cross-checks of checkEssayForm (unique ids, two
 * different essays of the request). Every refusal is a 400 naming the first offending field.
 */
@Injectable()
export class EssayBatchValidator {
  constructor(
    @Inject(API_SETTINGS) private readonly limits: ApiSettings,
    @Inject(ComparisonRequestValidator) private readonly common: ComparisonRequestValidator,
  ) {}

  async validate(body: unknown): Promise<ValidatedEssayBatchRequest> {
    if (!isPlainObject(body)) throw ApiError.invalid(undefined, 'Request body must be a JSON object');
    const { essays, comparisons } = body;
    checkEssayFormCounts(
      {
        essays: Array.isArray(essays) ? essays.length : 0,
        comparisons: Array.isArray(comparisons) ? comparisons.length : 0,
      },
      this.limits,
    );
    refuseUnknownKeys(body, BODY_KEYS, '');
    this.common.options(body);
    checkMaxCost(body.max_cost_usd);
    checkRequiredText(body.user_prompt, 'user_prompt', this.limits.maxPromptChars);
    if (!Array.isArray(essays)) throw ApiError.invalid('essays', 'essays must be an array');
    if (essays.length < 2) throw ApiError.invalid('essays', 'essays must contain at least 2 items');
    if (!Array.isArray(comparisons)) throw ApiError.invalid('comparisons', 'comparisons must be an array');
    if (comparisons.length === 0)
      throw ApiError.invalid('comparisons', 'comparisons must contain at least 1 item');

    let sliceStart = performance.now();
    const maybeYield = async (i: number) => {
      if ((i & 0x7f) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    };
    for (let i = 0; i < essays.length; i++) {
      await maybeYield(i);
      const essay: unknown = essays[i];
      const prefix = `essays[${i}]`;
      if (!isPlainObject(essay)) throw ApiError.invalid(prefix, `${prefix} must be an object`);
      refuseUnknownKeys(essay, ESSAY_KEYS, `${prefix}.`);
      callerId(essay.essay_id, `${prefix}.essay_id`, 'essay_id');
      checkRequiredText(essay.text, `${prefix}.text`, this.limits.maxEssayChars);
    }
    for (let i = 0; i < comparisons.length; i++) {
      await maybeYield(i);
      const item: unknown = comparisons[i];
      const prefix = `comparisons[${i}]`;
      if (!isPlainObject(item)) throw ApiError.invalid(prefix, `${prefix} must be an object`);
      refuseUnknownKeys(item, ITEM_KEYS, `${prefix}.`);
      callerId(item.comparison_id, `${prefix}.comparison_id`, 'comparison_id');
      callerId(item.essay_a_id, `${prefix}.essay_a_id`, 'essay_a_id');
      callerId(item.essay_b_id, `${prefix}.essay_b_id`, 'essay_b_id');
      if (item.metadata !== undefined) {
        checkMetadata(
          item.metadata,
          `${prefix}.metadata`,
          this.limits.metadataMaxBytes,
          this.limits.metadataMaxDepth,
        );
      }
    }
    const request = body as unknown as ValidatedEssayBatchRequest;
    checkEssayForm(request, this.limits);
    return request;
  }
}

function callerId(value: unknown, field: string, name: string): void {
  if (typeof value !== 'string' || !CALLER_ID_PATTERN.test(value)) {
    throw ApiError.invalid(field, `${field}: ${name} ${CALLER_ID_RULE}`);
  }
}
