import type { ProviderName } from '#contracts';
import { MODEL_CATALOG_ROWS } from './model-catalog.data.js';
import { ProviderError } from './provider-error.js';

/** USD per million tokens at the standard rate. */
export interface CatalogPricing {
  input: number;
  output: number;
  cache_read?: number;
  /** Cache write at the 5-minute TTL (or the provider's only rate). */
  cache_write?: number;
  /** Cache write at the 1-hour TTL (Anthropic: 2× input); used where requests cache for an hour (batches). */
  cache_write_1h?: number;
  /** Share of the price paid for batch traffic; default DEFAULT_BATCH_FACTOR. */
  batch_factor?: number;
}

/**
 * How a model treats `temperature`: `accepted` (sent and applied), `ignored` (the provider drops custom values:
 * not sent), `rejected` (a non-default value is an error: not sent), `unsupported` (the API has no such
 * parameter: not sent).
 */
export type TemperatureSupport = 'accepted' | 'ignored' | 'rejected' | 'unsupported';

export type OpenAIReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';
export type GeminiThinkingLevel = 'minimal' | 'low' | 'medium' | 'high';

/**
 * The model's reasoning/thinking control and the judge task's setting of it. `allowance` is the room reserved for
 * reasoning tokens on top of the answer's max tokens, because they count against the same output limit.
 */
export type ReasoningControl =
  | { kind: 'none' }
  | { kind: 'openai_effort'; judge_effort: OpenAIReasoningEffort; allowance: number }
  | { kind: 'gemini_budget'; judge_budget: number; allowance: number }
  | { kind: 'gemini_level'; judge_level: GeminiThinkingLevel; allowance: number }
  /** Anthropic adaptive thinking (on by default on Sonnet 5): no budget to set, room is reserved. */
  | { kind: 'anthropic_adaptive'; allowance: number };

export interface CatalogModel {
  provider: ProviderName;
  id: string;
  /** Other ids of the same model (dated snapshots) that the provider accepts or reports. */
  aliases?: readonly string[];
  /** Absent when no primary source gave a price: its cost is then unknown (null) unless LLM_PRICES_JSON sets one. */
  pricing?: CatalogPricing;
  temperature: TemperatureSupport;
  reasoning: ReasoningControl;
  /** Whether a forced tool choice is accepted (Claude Sonnet 5.5 answers it with an error). */
  forced_tool: boolean;
  context_window: number;
  max_output_tokens: number;
  /** Shutdown date, YYYY-MM-DD (UTC): refused from that day on. */
  retires_on?: string;
  replacement?: string;
}

export type RetirementState = 'active' | 'near_retirement' | 'retired';

export interface RetirementStatus {
  state: RetirementState;
  retires_on: string | null;
  /** Whole days until `retires_on` (0 on the day itself); null without a date. */
  days_left: number | null;
  replacement: string | null;
}

/** A model this close to its shutdown is reported (warning log, GET /api/v1/providers). */
export const NEAR_RETIREMENT_DAYS = 30;
const DAY_MS = 86_400_000;

/** The catalog keyed by provider, then by id and alias. */
const INDEX: ReadonlyMap<ProviderName, ReadonlyMap<string, CatalogModel>> = buildIndex(MODEL_CATALOG_ROWS);

function buildIndex(rows: readonly CatalogModel[]): Map<ProviderName, Map<string, CatalogModel>> {
  const index = new Map<ProviderName, Map<string, CatalogModel>>();
  for (const row of rows) {
    const byId = index.get(row.provider) ?? new Map<string, CatalogModel>();
    for (const id of [row.id, ...(row.aliases ?? [])]) byId.set(id, row);
    index.set(row.provider, byId);
  }
  return index;
}

/** Every catalog row (read-only). */
export function catalogModels(provider?: ProviderName): readonly CatalogModel[] {
  return provider ? MODEL_CATALOG_ROWS.filter((m) => m.provider === provider) : MODEL_CATALOG_ROWS;
}

/** The catalog entry of `id` (or of one of its aliases) at `provider`, or undefined for an unlisted model. */
export function findModel(provider: ProviderName, id: string): CatalogModel | undefined {
  return INDEX.get(provider)?.get(id);
}

/** Where `model` stands on `now` (ms since epoch): retired from its `retires_on` day, near retirement 30 days before. */
export function retirementStatus(model: CatalogModel, now: number): RetirementStatus {
  if (!model.retires_on) {
    return { state: 'active', retires_on: null, days_left: null, replacement: model.replacement ?? null };
  }
  const shutdown = Date.parse(`${model.retires_on}T00:00:00Z`);
  const daysLeft = Math.max(0, Math.ceil((shutdown - now) / DAY_MS));
  const state: RetirementState =
    now >= shutdown ? 'retired' : daysLeft <= NEAR_RETIREMENT_DAYS ? 'near_retirement' : 'active';
  return { state, retires_on: model.retires_on, days_left: daysLeft, replacement: model.replacement ?? null };
}

export interface ModelCheck {
  /** Undefined for an unlisted model the operator allowed. */
  model?: CatalogModel;
  retirement: RetirementStatus | null;
}

export interface ModelCheckOptions {
  /** `<P>_ALLOW_UNLISTED_MODELS`: accept ids the catalog does not know (their cost is reported as unknown). */
  allowUnlisted: boolean;
  now: number;
  /** Field named in the error (default `model_override`). */
  field?: string;
}

/**
 * Whether `id` may be used at `provider` now: a retired model is refused, an unlisted one unless allowed. Throws
 * ProviderError INVALID_REQUEST with `details.field` (the API answers 400 naming it).
 */
export function checkModel(provider: ProviderName, id: string, options: ModelCheckOptions): ModelCheck {
  const field = options.field ?? 'model_override';
  const model = findModel(provider, id);
  if (!model) {
    if (options.allowUnlisted) return { retirement: null };
    throw new ProviderError(
      'INVALID_REQUEST',
      `Model "${id}" is not in the ${provider} catalog; known: ${catalogModels(provider)
        .map((m) => m.id)
        .join(', ')}`,
      { provider, details: { field, value: id, reason: 'unlisted_model' } },
    );
  }
  const retirement = retirementStatus(model, options.now);
  if (retirement.state === 'retired') {
    const instead = model.replacement ? `; use ${model.replacement}` : '';
    throw new ProviderError(
      'INVALID_REQUEST',
      `Model "${id}" was retired by ${provider} on ${retirement.retires_on}${instead}`,
      {
        provider,
        details: { field, value: id, reason: 'retired_model', retires_on: retirement.retires_on },
      },
    );
  }
  return { model, retirement };
}

/** What a judge request sends for one model: temperature only where applied, room for reasoning, the control. */
export interface JudgeSettings {
  /** Undefined when the model does not apply a temperature: then it is not sent. */
  temperature?: number;
  /** The output limit to send: the answer's max tokens plus the reasoning allowance, within the model's limit. */
  max_output_tokens: number;
  reasoning: ReasoningControl;
}

/** Reasoning model families that refuse a non-default temperature, for ids the catalog does not list. */
const UNLISTED_REASONING_MODEL = /^(?:[a-z-]+\/)?(?:o\d|gpt-5|gpt-6)/;

/**
 * The request settings of a comparison for `config.model`: from the catalog, or for an allowed unlisted model the
 * configured values as they are (temperature left out only for known reasoning families).
 */
export function judgeSettings(
  provider: ProviderName,
  config: { model: string; temperature: number; max_tokens: number },
): JudgeSettings {
  const model = findModel(provider, config.model);
  if (!model) {
    return withTemperature(!UNLISTED_REASONING_MODEL.test(config.model), config.temperature, {
      max_output_tokens: config.max_tokens,
      reasoning: { kind: 'none' },
    });
  }
  const allowance = model.reasoning.kind === 'none' ? 0 : model.reasoning.allowance;
  return withTemperature(model.temperature === 'accepted', config.temperature, {
    max_output_tokens: Math.min(config.max_tokens + allowance, model.max_output_tokens),
    reasoning: model.reasoning,
  });
}

/**
 * `rest`, led by `temperature` when the model takes one. Built on a fresh object rather than as
 * `{ ...(applies ? { temperature } : {}), ...rest }`: on Node 20's V8 properties added after a leading spread take a
 * slow path (bench/hot-object-shapes.bench.ts), and these settings are built for every request of a batch.
 */
function withTemperature(
  applies: boolean,
  temperature: number,
  rest: Omit<JudgeSettings, 'temperature'>,
): JudgeSettings {
  return applies ? Object.assign({ temperature }, rest) : rest;
}

/** Whether the configured temperature reaches the model (recorded with the batch as `temperature_applied`). */
export function temperatureApplied(provider: ProviderName, model: string): boolean {
  const entry = findModel(provider, model);
  return entry ? entry.temperature === 'accepted' : !UNLISTED_REASONING_MODEL.test(model);
}
