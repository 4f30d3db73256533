import { createHash } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import {
  AssessmentRequestDto,
  type CJEssayV1,
  type CJFailureReason,
  type LlmConfigOverrides,
} from '#contracts';

export interface RequestDefaults {
  comparisonsPerEssay: number;
  temperature: number;
  maxTokens: number;
  maxEssays: number;
  /** The comparison service's limits (same defaults): an assessment it would refuse is refused here first. */
  maxComparisons: number;
  maxEssayChars: number;
  maxPromptChars: number;
}

/** A validated request with every default filled in: what the assessment runs on from now on. */
export interface ValidAssessmentRequest {
  assessment_id: string;
  essays: CJEssayV1[];
  assignment: string;
  criteria: string;
  instructions: string | null;
  /** The one config of the assessment; temperature and max tokens are pinned so later defaults cannot leak in. */
  llm_config: LlmConfigOverrides;
  comparisons_per_essay: number;
  both_orders: boolean;
  seed: number;
  /** Adaptive rounds with their defaults filled in; null = the balanced one-shot design. */
  adaptive?: AdaptiveRequest | null;
  /** sha256 of the canonical request: a redelivery has the same hash, a different request does not. */
  request_hash: string;
}

export interface AdaptiveRequest {
  target_reliability: number;
  max_comparisons_per_essay: number;
  initial_comparisons_per_essay: number;
  comparisons_per_round: number;
}

/** Round 1 of an adaptive design: the balanced design at this k, split into the two chains (1 each). */
export const DEFAULT_INITIAL_COMPARISONS = 2;
/** New comparisons per essay per later round (half per chain); the adaptive bench measured this setting. */
export const DEFAULT_ROUND_COMPARISONS = 1;

export interface RequestRefusal {
  reason_code: Extract<CJFailureReason, 'INVALID_REQUEST' | 'MIXED_LLM_CONFIG'>;
  message: string;
  details: Record<string, unknown>;
}

export type RequestValidation =
  { ok: true; request: ValidAssessmentRequest } | { ok: false; refusal: RequestRefusal };

/**
 * Validates CJAssessmentRequestedV1 `data`. Never throws on bad input: a refusal is an outcome the caller
 * publishes as CJAssessmentFailedV1 (a throw would make Kafka redeliver the same bad message forever).
 */
export function validateAssessmentRequest(raw: unknown, defaults: RequestDefaults): RequestValidation {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return refuse('INVALID_REQUEST', 'the event data must be an object', {
      problems: ['data: not an object'],
    });
  }
  const dto = plainToInstance(AssessmentRequestDto, raw);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) {
    return refuse('INVALID_REQUEST', 'the assessment request is invalid', { problems: flatten(errors) });
  }
  if (dto.essays.length > defaults.maxEssays) {
    return refuse('INVALID_REQUEST', `at most ${defaults.maxEssays} essays per assessment`, {
      problems: [`essays: ${dto.essays.length} essays`],
    });
  }
  const longEssay = dto.essays.findIndex((e) => e.text.length > defaults.maxEssayChars);
  if (longEssay >= 0) {
    return refuse('INVALID_REQUEST', `essays may be at most ${defaults.maxEssayChars} characters`, {
      problems: [`essays.${longEssay}.text: ${dto.essays[longEssay].text.length} characters`],
    });
  }
  const duplicates = duplicateIds(dto.essays.map((e) => e.essay_id));
  if (duplicates.length > 0) {
    return refuse('INVALID_REQUEST', 'essay ids must be unique', {
      problems: [`essays: duplicate ids`],
      duplicates,
    });
  }
  const config = plainConfig(dto.llm_config);
  if (dto.llm_config_overrides && !sameConfig(config, plainConfig(dto.llm_config_overrides))) {
    return refuse(
      'MIXED_LLM_CONFIG',
      'llm_config and llm_config_overrides disagree: an assessment uses one config',
      {
        llm_config: config,
        llm_config_overrides: plainConfig(dto.llm_config_overrides),
      },
    );
  }
  const design = dto.design;
  const adaptive: AdaptiveRequest | null =
    design?.mode === 'adaptive'
      ? {
          target_reliability: design.target_reliability!,
          max_comparisons_per_essay: design.max_comparisons_per_essay!,
          initial_comparisons_per_essay: design.initial_comparisons_per_essay ?? DEFAULT_INITIAL_COMPARISONS,
          comparisons_per_round: design.comparisons_per_round ?? DEFAULT_ROUND_COMPARISONS,
        }
      : null;
  if (adaptive && adaptive.initial_comparisons_per_essay > adaptive.max_comparisons_per_essay) {
    return refuse('INVALID_REQUEST', 'the assessment request is invalid', {
      problems: ['design.initial_comparisons_per_essay: must not exceed design.max_comparisons_per_essay'],
    });
  }
  if (adaptive && dto.both_orders) {
    return refuse('INVALID_REQUEST', 'the assessment request is invalid', {
      problems: ['both_orders: not available with design.mode adaptive (each round picks new pairs)'],
    });
  }
  const essays = dto.essays.map((e) => ({ essay_id: e.essay_id, text: e.text }));
  return {
    ok: true,
    request: {
      assessment_id: dto.assessment_id,
      essays,
      assignment: dto.assignment,
      criteria: dto.criteria,
      instructions: dto.instructions?.trim() ? dto.instructions : null,
      llm_config: {
        ...config,
        temperature_override: config.temperature_override ?? defaults.temperature,
        max_tokens_override: config.max_tokens_override ?? defaults.maxTokens,
      },
      comparisons_per_essay: dto.comparisons_per_essay ?? defaults.comparisonsPerEssay,
      both_orders: dto.both_orders ?? false,
      seed: dto.seed ?? seedFromId(dto.assessment_id),
      adaptive,
      request_hash: hashRequest(raw),
    },
  };
}

function refuse(
  reason_code: RequestRefusal['reason_code'],
  message: string,
  details: Record<string, unknown>,
): RequestValidation {
  return { ok: false, refusal: { reason_code, message, details } };
}

/** Property paths and constraint messages only: never the values (essay text stays out of events and logs). */
function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`);
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

function duplicateIds(ids: string[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const id of ids) (seen.has(id) ? duplicates : seen).add(id);
  return [...duplicates];
}

function plainConfig(config: LlmConfigOverrides): LlmConfigOverrides {
  const keys = [
    'provider_override',
    'model_override',
    'temperature_override',
    'max_tokens_override',
    'system_prompt_override',
  ] as const;
  const plain: Record<string, unknown> = {};
  for (const key of keys) if (config[key] !== undefined) plain[key] = config[key];
  return plain as LlmConfigOverrides;
}

function sameConfig(a: LlmConfigOverrides, b: LlmConfigOverrides): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function seedFromId(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) & 0x7fffffff;
}

export function hashRequest(raw: unknown): string {
  return createHash('sha256').update(canonicalJson(raw)).digest('hex');
}

/** JSON with object keys sorted, so the same content always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
