import { createHash } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import {
  ASSESSMENT_ID_PATTERN,
  AssessmentRequestDto,
  LLM_CONFIG_OVERRIDE_KEYS,
  PROVIDER_NAMES,
  type CJEssayV1,
  type CJFailureReason,
  type LlmConfigOverrides,
  type ProviderName,
} from '#contracts';
import { checkModel, findModel, ProviderError } from '#llm-providers';

export interface RequestDefaults {
  comparisonsPerEssay: number;
  temperature: number;
  maxTokens: number;
  maxEssays: number;
  /** The comparison service's limits (same defaults): an assessment it would refuse is refused here first. */
  maxComparisons: number;
  maxEssayChars: number;
  maxPromptChars: number;
  /**
   * Accept a `model_override` the model catalog (libs/llm-providers) does not list (CJ_ALLOW_UNLISTED_MODELS; set
   * it where the api allows unlisted models). Default false: an unknown model is refused before anything is stored.
   */
  allowUnlistedModels?: boolean;
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
 * publishes as CJAssessmentFailedV1 (a throw would make Kafka redeliver the same bad message forever). Cheapest
 * checks first: the essay cap before any per-essay work, then the schema, then one linear pass over the texts
 * (length, NUL, unpaired surrogates, duplicate ids through a Set), the config (one config, a catalog model), the
 * design. Every refusal names the field in `details.field` (and lists the problems in `details.problems`).
 */
export function validateAssessmentRequest(raw: unknown, defaults: RequestDefaults): RequestValidation {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return invalid('data', 'the event data must be an object', ['data: not an object']);
  }
  const essaysRaw = (raw as { essays?: unknown }).essays;
  if (Array.isArray(essaysRaw) && essaysRaw.length > defaults.maxEssays) {
    return invalid('essays', `at most ${defaults.maxEssays} essays per assessment`, [
      `essays: ${essaysRaw.length} essays`,
    ]);
  }
  const dto = plainToInstance(AssessmentRequestDto, raw);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) {
    const problems = flatten(errors);
    return invalid(fieldOf(problems[0]), 'the assessment request is invalid', problems);
  }
  const seen = new Set<string>();
  for (let i = 0; i < dto.essays.length; i++) {
    const { essay_id: id, text } = dto.essays[i];
    if (text.length > defaults.maxEssayChars) {
      return invalid(`essays[${i}].text`, `essays may be at most ${defaults.maxEssayChars} characters`, [
        `essays[${i}].text: ${text.length} characters`,
      ]);
    }
    const problem = textProblem(text);
    if (problem)
      return invalid(`essays[${i}].text`, 'the assessment request is invalid', [
        `essays[${i}].text: ${problem}`,
      ]);
    if (seen.has(id)) {
      return refuse('INVALID_REQUEST', 'essay ids must be unique', {
        field: `essays[${i}].essay_id`,
        problems: [`essays[${i}].essay_id: duplicate id`],
        duplicates: [id],
      });
    }
    seen.add(id);
  }
  const texts: Array<[string, string | undefined]> = [
    ['assignment', dto.assignment],
    ['criteria', dto.criteria],
    ['instructions', dto.instructions],
    ...configTexts('llm_config', dto.llm_config),
    ...configTexts('llm_config_overrides', dto.llm_config_overrides),
  ];
  for (const [field, value] of texts) {
    const problem = value === undefined ? null : textProblem(value);
    if (problem) return invalid(field, 'the assessment request is invalid', [`${field}: ${problem}`]);
  }
  const config = plainConfig(dto.llm_config);
  if (dto.llm_config_overrides && !sameConfig(config, plainConfig(dto.llm_config_overrides))) {
    return refuse(
      'MIXED_LLM_CONFIG',
      'llm_config and llm_config_overrides disagree: an assessment uses one config',
      {
        field: 'llm_config_overrides',
        llm_config: config,
        llm_config_overrides: plainConfig(dto.llm_config_overrides),
      },
    );
  }
  const modelRefusal = checkConfigModel(config, defaults.allowUnlistedModels ?? false);
  if (modelRefusal) return modelRefusal;
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
    return invalid('design.initial_comparisons_per_essay', 'the assessment request is invalid', [
      'design.initial_comparisons_per_essay: must not exceed design.max_comparisons_per_essay',
    ]);
  }
  if (adaptive && dto.both_orders) {
    return invalid('both_orders', 'the assessment request is invalid', [
      'both_orders: not available with design.mode adaptive (each round picks new pairs)',
    ]);
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

/** The assessment id of a raw request when it is a valid one (echoed in a refusal), else ''. */
export function usableAssessmentId(raw: unknown): string {
  const id = raw && typeof raw === 'object' ? (raw as { assessment_id?: unknown }).assessment_id : undefined;
  return typeof id === 'string' && ASSESSMENT_ID_PATTERN.test(id) ? id : '';
}

/** Well-formed text only: NUL is refused by providers and stores, an unpaired surrogate cannot be UTF-8. */
function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed())
    return 'must not contain unpaired surrogates';
  return null;
}

function configTexts(
  field: string,
  config: LlmConfigOverrides | undefined,
): Array<[string, string | undefined]> {
  if (!config) return [];
  return [
    [`${field}.model_override`, config.model_override],
    [`${field}.system_prompt_override`, config.system_prompt_override],
  ];
}

/**
 * `model_override` must be a catalog model (not retired) of the provider, as the comparison service checks it:
 * refused here, before anything is stored or submitted. Without a provider the service's default decides, so
 * the model must be known to one of the providers.
 */
function checkConfigModel(config: LlmConfigOverrides, allowUnlisted: boolean): RequestValidation | null {
  const model = config.model_override;
  if (model === undefined) return null;
  const field = 'llm_config.model_override';
  const providers: readonly ProviderName[] = config.provider_override
    ? [config.provider_override]
    : PROVIDER_NAMES.filter((p) => findModel(p, model) !== undefined);
  if (providers.length === 0 && !allowUnlisted) {
    return invalid(field, `model "${model}" is in no provider's catalog`, [`${field}: unknown model`]);
  }
  for (const provider of providers) {
    try {
      checkModel(provider, model, { allowUnlisted, now: Date.now(), field });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      return invalid(field, err.message, [`${field}: ${String(err.details?.reason ?? 'refused')}`]);
    }
  }
  return null;
}

function invalid(field: string, message: string, problems: string[]): RequestValidation {
  return refuse('INVALID_REQUEST', message, { field, problems });
}

/** "essays.3.text: must be …" → "essays[3].text" (the API's spelling of a path). */
function fieldOf(problem: string | undefined): string {
  const path = (problem ?? 'data').split(':')[0];
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
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

function plainConfig(config: LlmConfigOverrides): LlmConfigOverrides {
  const plain: Record<string, unknown> = {};
  for (const key of LLM_CONFIG_OVERRIDE_KEYS) if (config[key] !== undefined) plain[key] = config[key];
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
