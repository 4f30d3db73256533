import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  CALLER_ID_PATTERN,
  CALLER_ID_RULE,
  OVERRIDE_BOUNDS,
  PRIORITY,
  PROVIDER_NAMES,
  RequestOptionsDto,
  TOPIC_NAME_PATTERN,
  type ComparisonBatchRequestDto,
  type ComparisonRequestDto,
} from '#contracts';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { validationApiError } from '../http/validation-errors.js';
import { checkMetadata, isPlainObject } from './metadata-checks.js';
import { checkRequiredText, checkText } from './text-checks.js';

/**
 * The validated bodies. Intersection types, so the parameters typed with them carry no class metadata and Nest's
 * global ValidationPipe (class-validator over every item) leaves them to this validator.
 */
export type ValidatedBatchRequest = ComparisonBatchRequestDto & { readonly validated?: true };
export type ValidatedSingleRequest = ComparisonRequestDto & { readonly validated?: true };

export const OPTION_KEYS = ['llm_config_overrides', 'correlation_id', 'callback_topic', 'priority'] as const;
const PAIR_KEYS = ['user_prompt', 'essay_a', 'essay_b', 'metadata'] as const;
const BATCH_KEYS = new Set<string>([...OPTION_KEYS, 'comparisons', 'max_cost_usd']);
const ITEM_KEYS = new Set<string>([...PAIR_KEYS, 'comparison_id']);
const SINGLE_KEYS = new Set<string>([...OPTION_KEYS, ...PAIR_KEYS, 'comparison_id']);
/** Longest synchronous stretch of item checks before yielding to the event loop. */
export const SLICE_MS = 10;

/**
 * Validates comparison requests in one linear pass, cheapest checks first: unknown fields and the comparison cap
 * before any per-item work, then each item (ids, texts, metadata) with duplicate ids found through a Set, yielding
 * to the event loop every ~10 ms so a 10,000-item request never stalls other requests. The small option block is
 * still validated by the DTO's class-validator rules (one object, cheap). Every refusal is a 400 naming the field.
 * The validated body is returned as parsed: metadata is echoed exactly as sent.
 */
@Injectable()
export class ComparisonRequestValidator {
  constructor(@Inject(API_SETTINGS) private readonly limits: ApiSettings) {}

  async batch(body: unknown): Promise<ValidatedBatchRequest> {
    const request = this.object(body);
    refuseUnknownKeys(request, BATCH_KEYS, '');
    const comparisons = request.comparisons;
    if (comparisons === undefined) throw ApiError.invalid('comparisons', 'comparisons must be an array');
    if (!Array.isArray(comparisons)) throw ApiError.invalid('comparisons', 'comparisons must be an array');
    if (comparisons.length === 0)
      throw ApiError.invalid('comparisons', 'comparisons must contain at least 1 item');
    const max = this.limits.maxComparisonsPerBatch;
    if (comparisons.length > max) {
      throw ApiError.invalid('comparisons', `comparisons may hold at most ${max} items`, {
        max,
        received: comparisons.length,
      });
    }
    this.options(request);
    checkMaxCost(request.max_cost_usd);

    const seen = new Set<string>();
    let sliceStart = performance.now();
    for (let i = 0; i < comparisons.length; i++) {
      if ((i & 0x7f) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      const item: unknown = comparisons[i];
      let id: string;
      try {
        // Fields named without their item's prefix: a valid item (nearly every one) never builds those names.
        id = this.item(item, '');
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        // The same checks again, naming the field in full (`comparisons[7].essay_a`): they fail the same way.
        id = this.item(item, `comparisons[${i}]`);
      }
      if (seen.has(id)) {
        throw ApiError.invalid('comparisons', 'comparisons must have unique comparison_id values', {
          duplicate: id,
          index: i,
        });
      }
      seen.add(id);
    }
    return request as unknown as ValidatedBatchRequest;
  }

  /** One item of a batch, its fields named under `prefix` (`comparisons[i]`); returns its comparison_id. */
  private item(item: unknown, prefix: string): string {
    if (!isPlainObject(item)) throw ApiError.invalid(prefix, `${prefix} must be an object`);
    const dot = prefix === '' ? '' : `${prefix}.`;
    refuseUnknownKeys(item, ITEM_KEYS, dot);
    const id = this.comparisonId(item.comparison_id, `${dot}comparison_id`);
    this.pair(item, dot);
    return id;
  }

  single(body: unknown): ValidatedSingleRequest {
    const request = this.object(body);
    refuseUnknownKeys(request, SINGLE_KEYS, '');
    this.options(request);
    if (request.comparison_id !== undefined) this.comparisonId(request.comparison_id, 'comparison_id');
    this.pair(request, '');
    return request as unknown as ValidatedSingleRequest;
  }

  private object(body: unknown): Record<string, unknown> {
    if (!isPlainObject(body)) throw ApiError.invalid(undefined, 'Request body must be a JSON object');
    return body;
  }

  /** The option block (provider overrides, correlation id, topic, priority): the DTO's own rules. */
  options(request: Record<string, unknown>): void {
    // Most requests send plain, valid options (no overrides, or a few well-formed ones): those pass without
    // class-validator (a third of an individual request's CPU in the API). Anything else, valid or not, gets the
    // DTO's rules and messages.
    if (!plainValidOptions(request)) {
      const options: Record<string, unknown> = {};
      for (const key of OPTION_KEYS) if (request[key] !== undefined) options[key] = request[key];
      const errors = validateSync(plainToInstance(RequestOptionsDto, options), {
        whitelist: true,
        forbidNonWhitelisted: true,
        validationError: { target: false, value: false },
      });
      if (errors.length > 0) throw validationApiError(errors);
    }
    const overrides = request.llm_config_overrides as Record<string, unknown> | undefined;
    for (const key of ['model_override', 'system_prompt_override'] as const) {
      const value = overrides?.[key];
      if (typeof value === 'string') checkText(value, `llm_config_overrides.${key}`);
    }
  }

  comparisonId(value: unknown, field: string): string {
    if (typeof value !== 'string' || !CALLER_ID_PATTERN.test(value)) {
      throw ApiError.invalid(field, `${field}: comparison_id ${CALLER_ID_RULE}`);
    }
    return value;
  }

  private pair(item: Record<string, unknown>, prefix: string): void {
    checkRequiredText(item.user_prompt, `${prefix}user_prompt`, this.limits.maxPromptChars);
    checkRequiredText(item.essay_a, `${prefix}essay_a`, this.limits.maxEssayChars);
    checkRequiredText(item.essay_b, `${prefix}essay_b`, this.limits.maxEssayChars);
    if (item.metadata !== undefined) {
      checkMetadata(
        item.metadata,
        `${prefix}metadata`,
        this.limits.metadataMaxBytes,
        this.limits.metadataMaxDepth,
      );
    }
  }
}

/** `max_cost_usd` (batch only): a finite number ≥ 0 when present; the quote is compared with it later. */
export function checkMaxCost(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw ApiError.invalid('max_cost_usd', 'max_cost_usd must be a finite number ≥ 0');
  }
}

export function refuseUnknownKeys(
  value: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  prefix: string,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key))
      throw ApiError.invalid(`${prefix}${key}`, `property ${prefix}${key} should not exist`);
  }
}

/**
 * True when the option block certainly passes RequestOptionsDto: correlation_id, callback_topic and priority each
 * absent or valid, and llm_config_overrides absent or plainly valid (plainValidOverrides). A subset of what the DTO
 * accepts, so taking it changes no outcome; false sends the block to the DTO's rules.
 */
function plainValidOptions(request: Record<string, unknown>): boolean {
  const { correlation_id: correlation, callback_topic: topic, priority } = request;
  if (request.llm_config_overrides !== undefined && !plainValidOverrides(request.llm_config_overrides)) {
    return false;
  }
  if (
    correlation !== undefined &&
    !(typeof correlation === 'string' && CALLER_ID_PATTERN.test(correlation))
  ) {
    return false;
  }
  if (topic !== undefined && !(typeof topic === 'string' && TOPIC_NAME_PATTERN.test(topic))) return false;
  return (
    priority === undefined ||
    (Number.isInteger(priority) && isNumberWithin(priority, PRIORITY.min, PRIORITY.max))
  );
}

const PROVIDERS: ReadonlySet<unknown> = new Set(PROVIDER_NAMES);

/**
 * True when `value` certainly passes LlmConfigOverridesDto: a plain object of its known keys only, each of the
 * DTO's type and within OVERRIDE_BOUNDS (the numbers the DTO's decorators read). Strings are measured in UTF-16
 * units, never fewer than the code points the DTO counts, so a string this accepts the DTO accepts too; a null
 * value (which the DTO's IsOptional lets through) or anything unusual goes to the DTO instead.
 */
export function plainValidOverrides(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  const { modelChars, temperature, maxTokens, systemPromptChars } = OVERRIDE_BOUNDS;
  for (const key of Object.keys(value)) {
    const v = value[key];
    switch (key) {
      case 'provider_override':
        if (!PROVIDERS.has(v)) return false;
        break;
      case 'model_override':
        if (typeof v !== 'string' || v.length < modelChars.min || v.length > modelChars.max) return false;
        break;
      case 'temperature_override':
        if (!isNumberWithin(v, temperature.min, temperature.max)) return false;
        break;
      case 'max_tokens_override':
        if (!Number.isInteger(v) || !isNumberWithin(v, maxTokens.min, maxTokens.max)) return false;
        break;
      case 'system_prompt_override':
        if (typeof v !== 'string' || v.length > systemPromptChars.max) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function isNumberWithin(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}
