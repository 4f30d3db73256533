import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  ASSESSMENT_ID_PATTERN,
  AssessmentDesignDto,
  LLM_CONFIG_OVERRIDE_KEYS,
  LlmConfigOverridesDto,
  type AssessmentSubmitDto,
  type CJEssayV1,
} from '#contracts';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { validationApiError } from '../http/validation-errors.js';
import { isPlainObject } from './metadata-checks.js';
import { checkRequiredText, checkText } from './text-checks.js';

/**
 * A validated assessment body. An intersection type, so the parameter carries no class metadata and Nest's global
 * ValidationPipe (class-validator over every essay) leaves it to this validator.
 */
export type ValidatedAssessmentRequest = AssessmentSubmitDto & { readonly validated?: true };
/** A validated upload header: the assessment body without essays. */
export type ValidatedAssessmentUploadHeader = Omit<AssessmentSubmitDto, 'essays'> & {
  readonly validated?: true;
};
/** A validated part of an assessment upload. */
export type ValidatedAssessmentPart = { essays: CJEssayV1[] } & { readonly validated?: true };

const KEYS = new Set([
  'assessment_id',
  'essays',
  'assignment',
  'criteria',
  'instructions',
  'llm_config',
  'llm_config_overrides',
  'comparisons_per_essay',
  'both_orders',
  'seed',
  'design',
  'max_cost_usd',
]);
const ESSAY_KEYS = new Set(['essay_id', 'text']);
const ESSAY_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Each of assignment, criteria and instructions (CJAssessmentRequestedV1's own bound). */
const MAX_FIELD_CHARS = 50_000;
const SLICE_MS = 10;
const VALIDATION = {
  whitelist: true,
  forbidNonWhitelisted: true,
  validationError: { target: false, value: false },
} as const;

/**
 * Validates the body of POST /assessments and /assessments/quote (CJAssessmentRequestedV1 data, the id optional,
 * `max_cost_usd`) in one linear pass, cheapest checks first: unknown fields and the essay cap before any per-essay
 * work, then each essay (id, duplicate ids through a Set, text non-empty, within MAX_ESSAY_CHARS, no NUL or unpaired
 * surrogates), yielding every ~10 ms; then the prompts, the one config (the two spellings must agree), k, seed and
 * the design. The small nested objects (config, design) keep their DTO rules. Every refusal is a 400 naming the
 * field; what passes here is what cj-integration accepts.
 */
@Injectable()
export class AssessmentRequestValidator {
  constructor(@Inject(API_SETTINGS) private readonly limits: ApiSettings) {}

  async validate(body: unknown): Promise<ValidatedAssessmentRequest> {
    if (!isPlainObject(body)) throw ApiError.invalid(undefined, 'Request body must be a JSON object');
    for (const key of Object.keys(body)) {
      if (!KEYS.has(key)) throw ApiError.invalid(key, `property ${key} should not exist`);
    }
    const essays = body.essays;
    if (!Array.isArray(essays)) throw ApiError.invalid('essays', 'essays must be an array');
    if (essays.length < 2) throw ApiError.invalid('essays', 'essays must contain at least 2 items');
    this.essayCount(essays.length);
    this.header(body);
    await this.essays(essays);
    return body as unknown as ValidatedAssessmentRequest;
  }

  /**
   * The body of POST /assessments/uploads: everything of an assessment except its essays (they come in parts),
   * checked exactly as in the one-body form.
   */
  validateUploadHeader(body: unknown): ValidatedAssessmentUploadHeader {
    if (!isPlainObject(body)) throw ApiError.invalid(undefined, 'Request body must be a JSON object');
    for (const key of Object.keys(body)) {
      if (key === 'essays') {
        throw ApiError.invalid('essays', 'an upload takes its essays in parts (PUT .../parts/{part_number})');
      }
      if (!KEYS.has(key)) throw ApiError.invalid(key, `property ${key} should not exist`);
    }
    this.header(body);
    return body as unknown as ValidatedAssessmentUploadHeader;
  }

  /**
   * One part of an upload (`{ essays: [...] }`): each essay checked as in the one-body form, fields named with
   * the index within the part. Ids repeated across parts are the upload repository's to refuse (atomically).
   */
  async validatePart(body: unknown): Promise<ValidatedAssessmentPart> {
    if (!isPlainObject(body)) throw ApiError.invalid(undefined, 'Request body must be a JSON object');
    for (const key of Object.keys(body)) {
      if (key !== 'essays') throw ApiError.invalid(key, `property ${key} should not exist`);
    }
    const essays = body.essays;
    if (!Array.isArray(essays)) throw ApiError.invalid('essays', 'essays must be an array');
    if (essays.length === 0) throw ApiError.invalid('essays', 'essays must contain at least 1 item');
    this.essayCount(essays.length);
    await this.essays(essays);
    return body as unknown as ValidatedAssessmentPart;
  }

  private essayCount(count: number): void {
    const maxEssays = this.limits.maxEssaysPerBatch;
    if (count > maxEssays) {
      throw ApiError.invalid('essays', `essays may hold at most ${maxEssays} items`, {
        max: maxEssays,
        received: count,
      });
    }
  }

  private header(body: Record<string, unknown>): void {
    if (body.assessment_id !== undefined) {
      if (typeof body.assessment_id !== 'string' || !ASSESSMENT_ID_PATTERN.test(body.assessment_id)) {
        throw ApiError.invalid(
          'assessment_id',
          'assessment_id must be 1-96 characters of letters, digits, dot, underscore or hyphen',
        );
      }
    }
    this.prompts(body);
    this.config(body);
    this.numbers(body);
  }

  private async essays(essays: unknown[]): Promise<void> {
    const seen = new Set<string>();
    let sliceStart = performance.now();
    for (let i = 0; i < essays.length; i++) {
      if ((i & 0x7f) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      const essay: unknown = essays[i];
      const prefix = `essays[${i}]`;
      if (!isPlainObject(essay)) throw ApiError.invalid(prefix, `${prefix} must be an object`);
      for (const key of Object.keys(essay)) {
        if (!ESSAY_KEYS.has(key))
          throw ApiError.invalid(`${prefix}.${key}`, `property ${key} should not exist`);
      }
      const id = essay.essay_id;
      if (typeof id !== 'string' || !ESSAY_ID.test(id)) {
        throw ApiError.invalid(
          `${prefix}.essay_id`,
          `${prefix}.essay_id must be 1-128 characters of letters, digits, dot, underscore or hyphen`,
        );
      }
      if (seen.has(id)) {
        throw ApiError.invalid(`${prefix}.essay_id`, `${prefix}.essay_id "${id}" appears twice`);
      }
      seen.add(id);
      checkRequiredText(essay.text, `${prefix}.text`, this.limits.maxEssayChars);
    }
  }

  /** assignment and criteria (required), instructions: well-formed, each ≤ 50,000, together ≤ MAX_PROMPT_CHARS. */
  private prompts(body: Record<string, unknown>): void {
    const assignment = checkRequiredText(body.assignment, 'assignment', MAX_FIELD_CHARS);
    const criteria = checkRequiredText(body.criteria, 'criteria', MAX_FIELD_CHARS);
    let instructions = 0;
    if (body.instructions !== undefined) {
      if (typeof body.instructions !== 'string') {
        throw ApiError.invalid('instructions', 'instructions must be a string');
      }
      if (body.instructions.length > MAX_FIELD_CHARS) {
        throw ApiError.invalid('instructions', `instructions may be at most ${MAX_FIELD_CHARS} characters`);
      }
      checkText(body.instructions, 'instructions');
      instructions = body.instructions.length;
    }
    const shared = assignment.length + criteria.length + instructions;
    const max = this.limits.maxPromptChars;
    if (shared > max) {
      throw ApiError.invalid(
        'criteria',
        `assignment, criteria and instructions together may be at most ${max} characters`,
        { max, received: shared },
      );
    }
  }

  /** llm_config (required) and llm_config_overrides: the DTO's rules, well-formed strings, and one config. */
  private config(body: Record<string, unknown>): void {
    if (!isPlainObject(body.llm_config)) throw ApiError.invalid('llm_config', 'llm_config must be an object');
    for (const field of ['llm_config', 'llm_config_overrides'] as const) {
      const value = body[field];
      if (value === undefined) continue;
      if (!isPlainObject(value)) throw ApiError.invalid(field, `${field} must be an object`);
      const errors = validateSync(plainToInstance(LlmConfigOverridesDto, value), VALIDATION);
      if (errors.length > 0) throw prefixed(validationApiError(errors), field);
      for (const key of ['model_override', 'system_prompt_override'] as const) {
        if (typeof value[key] === 'string') checkText(value[key], `${field}.${key}`);
      }
    }
    if (body.llm_config_overrides !== undefined && !sameConfig(body.llm_config, body.llm_config_overrides)) {
      throw ApiError.invalid(
        'llm_config_overrides',
        'llm_config_overrides must agree with llm_config: an assessment uses one config',
      );
    }
  }

  private numbers(body: Record<string, unknown>): void {
    integerIn(body.comparisons_per_essay, 'comparisons_per_essay', 1, 200);
    integerIn(body.seed, 'seed', 0, 2 ** 31 - 1);
    if (body.both_orders !== undefined && typeof body.both_orders !== 'boolean') {
      throw ApiError.invalid('both_orders', 'both_orders must be a boolean');
    }
    const max = body.max_cost_usd;
    if (max !== undefined && (typeof max !== 'number' || !Number.isFinite(max) || max < 0)) {
      throw ApiError.invalid('max_cost_usd', 'max_cost_usd must be a finite number ≥ 0');
    }
    const design = body.design;
    if (design === undefined) return;
    if (!isPlainObject(design)) throw ApiError.invalid('design', 'design must be an object');
    const errors = validateSync(plainToInstance(AssessmentDesignDto, design), VALIDATION);
    if (errors.length > 0) throw prefixed(validationApiError(errors), 'design');
    if (design.mode !== 'adaptive') return;
    const initial = (design.initial_comparisons_per_essay as number | undefined) ?? 2;
    if (initial > (design.max_comparisons_per_essay as number)) {
      throw ApiError.invalid(
        'design.initial_comparisons_per_essay',
        'design.initial_comparisons_per_essay must not exceed design.max_comparisons_per_essay',
      );
    }
    if (body.both_orders === true) {
      throw ApiError.invalid('both_orders', 'both_orders is not available with design.mode adaptive');
    }
  }
}

/** POST /assessments and /assessments/quote body → a validated request. */
@Injectable()
export class AssessmentBodyPipe implements PipeTransform<unknown, Promise<ValidatedAssessmentRequest>> {
  constructor(private readonly validator: AssessmentRequestValidator) {}

  transform(value: unknown): Promise<ValidatedAssessmentRequest> {
    return this.validator.validate(value);
  }
}

/** POST /assessments/uploads body → a validated header (the assessment without essays). */
@Injectable()
export class AssessmentUploadHeaderPipe implements PipeTransform<unknown, ValidatedAssessmentUploadHeader> {
  constructor(private readonly validator: AssessmentRequestValidator) {}

  transform(value: unknown): ValidatedAssessmentUploadHeader {
    return this.validator.validateUploadHeader(value);
  }
}

function integerIn(value: unknown, field: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw ApiError.invalid(field, `${field} must be an integer from ${min} to ${max}`);
  }
}

/** The DTO's 400 with its field path under `parent` (e.g. `llm_config.provider_override`). */
function prefixed(error: ApiError, parent: string): ApiError {
  const field = error.field ? `${parent}.${error.field}` : parent;
  return ApiError.invalid(field, `${parent}.${error.message}`, error.details);
}

function sameConfig(a: unknown, b: unknown): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return LLM_CONFIG_OVERRIDE_KEYS.every((key) => x[key] === y[key]);
}
