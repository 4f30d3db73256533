import { existsSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { PROVIDER_NAMES, type ProviderName } from '#contracts';
import { type Env, readBoolean, readNumber, readOneOf, readString, readUrl } from './env-parsers.js';
import type { BatchLimits } from './llm-provider.js';
import { checkModel, findModel, retirementStatus, type RetirementStatus } from './model-catalog.js';
import { DEFAULT_PRICES, type ModelPrice, type PriceTable } from './pricing.js';
import { ProviderError } from './provider-error.js';
import { ProviderConfigError } from './provider-config-error.js';
import { DEFAULT_SYSTEM_PROMPT } from './prompt.js';

/** Settings of one provider. A provider without `apiKey` is reported unavailable (the mock needs none). */
export interface ProviderSettings {
  apiKey?: string;
  baseUrl?: string;
  defaultModel: string;
  /** `<P>_ALLOW_UNLISTED_MODELS`: accept model ids the catalog does not know (their cost is unknown: null). */
  allowUnlistedModels: boolean;
  /** Use the provider's batch API (also needs the global `batchProcessingEnabled`). */
  batchEnabled: boolean;
  limits: BatchLimits;
  /** Per HTTP request. */
  timeoutMs: number;
  /** Cap on concurrent individual calls when a batch is served without the batch API. */
  concurrency: number;
  /** How often generateBatchComparison polls a submitted batch. */
  pollIntervalMs: number;
  /**
   * Tokens this deployment may have in the provider's batch queue per model (`<P>_ENQUEUED_TOKEN_BUDGET`, with
   * per-model values in `<P>_ENQUEUED_TOKEN_BUDGET_MODELS`): parts are planned under it and a part waits until
   * earlier ones leave the queue. Absent: no budget (one part per provider batch limit).
   */
  enqueuedTokenBudget: EnqueuedTokenBudget;
}

export interface EnqueuedTokenBudget {
  /** Budget of every model without its own; undefined when there is none. */
  default?: number;
  /** Per-model budgets, by model id as configured. */
  models: Record<string, number>;
}

/** The enqueued-token budget of `model`, or undefined when it has none. */
export function enqueuedTokenBudgetOf(settings: ProviderSettings, model: string): number | undefined {
  return settings.enqueuedTokenBudget.models[model] ?? settings.enqueuedTokenBudget.default;
}

export interface RetrySettings {
  /** Total attempts including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  failuresToOpen: number;
  /** Time the circuit stays open before one trial call is let through. */
  resetTimeoutMs: number;
  /** Consecutive successes after reopening that count the provider healthy again. */
  successesToClose: number;
}

export interface MockSettings {
  /** Off in deployments where `mock` must never be selectable. */
  enabled: boolean;
  /** Time a mock batch stays in progress, measured from its submission. */
  latencyMs: number;
  /** Probability that one item comes back as an error (seeded, deterministic per comparison_id). */
  errorRate: number;
  /** Probability that one item is left unfinished, which makes its part `expired`. */
  expiryRate: number;
  seed: number;
  /**
   * Length of each justification in characters (0: one short sentence). Real judges write a few hundred to a
   * couple of thousand characters; tests and benchmarks of event sizes set it (`MOCK_JUSTIFICATION_CHARS`).
   */
  justificationChars: number;
  /**
   * Test and drill instrument (`MOCK_AUDIT_FILE`): an absolute path to which every judgement the mock makes is
   * appended as one line `<kind>\t<batch key or ->\t<comparison_id>`, from every process that shares the file,
   * so a test can count how often the "provider" judged each comparison.
   */
  auditFile?: string;
}

export interface LlmDefaults {
  temperature: number;
  maxTokens: number;
  systemPrompt: string;
}

export interface ProvidersConfig {
  defaultProvider: ProviderName;
  /** Global switch (BATCH_PROCESSING_ENABLED): off serves every batch with capped individual calls. */
  batchProcessingEnabled: boolean;
  providers: Record<ProviderName, ProviderSettings>;
  defaults: LlmDefaults;
  retry: RetrySettings;
  breaker: BreakerSettings;
  pricing: PriceTable;
  mock: MockSettings;
}

/** Environment prefix of each provider's own variables (`<PREFIX>_MODEL`, `<PREFIX>_BATCH_ENABLED`, ...). */
export const PROVIDER_ENV_PREFIX: Record<ProviderName, string> = {
  anthropic: 'ANTHROPIC',
  openai: 'OPENAI',
  google: 'GEMINI',
  openrouter: 'OPENROUTER',
  mock: 'MOCK',
};

const KEY_VARIABLE: Record<ProviderName, string | undefined> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  google: 'GEMINI_API_KEY',
  openrouter: 'OPENROUTER_API_KEY',
  mock: undefined,
};

const BASE_URL_VARIABLE: Record<ProviderName, string | undefined> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  google: 'GOOGLE_GEMINI_BASE_URL',
  openrouter: 'OPENROUTER_BASE_URL',
  mock: undefined,
};

const MB = 1_000_000;

/** Defaults per provider: the published batch limits (decimal MB, to stay under them) and a default model. */
const PROVIDER_DEFAULTS: Record<ProviderName, Pick<ProviderSettings, 'defaultModel' | 'limits'>> = {
  anthropic: {
    defaultModel: 'claude-sonnet-4-6',
    limits: { maxRequestsPerBatch: 100_000, maxBytesPerBatch: 256 * MB },
  },
  openai: {
    defaultModel: 'gpt-5.4-mini',
    limits: { maxRequestsPerBatch: 50_000, maxBytesPerBatch: 200 * MB },
  },
  // A Gemini batch goes inline under 20 MB (GOOGLE_INLINE_MAX_BYTES) and as an uploaded JSONL file above, up to 2 GB.
  google: {
    defaultModel: 'gemini-3.1-flash-lite',
    limits: { maxRequestsPerBatch: 50_000, maxBytesPerBatch: 2_000 * MB },
  },
  openrouter: {
    defaultModel: 'anthropic/claude-sonnet-4.6',
    limits: { maxRequestsPerBatch: 5_000, maxBytesPerBatch: 200 * MB },
  },
  mock: {
    defaultModel: 'mock-judge-1',
    limits: { maxRequestsPerBatch: 100_000, maxBytesPerBatch: 256 * MB },
  },
};

/**
 * Builds the provider library's configuration from environment variables (README: "Configuration"). A default
 * model that is retired on `now`, or unlisted without `<P>_ALLOW_UNLISTED_MODELS=true`, stops start-up naming
 * `<P>_MODEL`.
 */
export function loadProvidersConfig(env: Env, options: { now?: number } = {}): ProvidersConfig {
  const now = options.now ?? Date.now();
  const providers = Object.fromEntries(
    PROVIDER_NAMES.map((name) => [name, loadProviderSettings(env, name, now)]),
  ) as Record<ProviderName, ProviderSettings>;
  return {
    defaultProvider: readOneOf(env, 'LLM_DEFAULT_PROVIDER', PROVIDER_NAMES, 'mock'),
    batchProcessingEnabled: readBoolean(env, 'BATCH_PROCESSING_ENABLED', true),
    providers,
    defaults: {
      temperature: readNumber(env, 'LLM_DEFAULT_TEMPERATURE', 0.7, { min: 0, max: 2 }),
      maxTokens: readNumber(env, 'LLM_DEFAULT_MAX_TOKENS', 4096, { min: 1, max: 200_000, integer: true }),
      systemPrompt: readString(env, 'LLM_DEFAULT_SYSTEM_PROMPT') ?? DEFAULT_SYSTEM_PROMPT,
    },
    retry: {
      attempts: readNumber(env, 'LLM_RETRY_ATTEMPTS', 3, { min: 1, max: 10, integer: true }),
      baseDelayMs: readNumber(env, 'LLM_RETRY_BASE_DELAY_MS', 4_000, { min: 0, integer: true }),
      maxDelayMs: readNumber(env, 'LLM_RETRY_MAX_DELAY_MS', 60_000, { min: 0, integer: true }),
    },
    breaker: {
      failuresToOpen: readNumber(env, 'LLM_BREAKER_FAILURES_TO_OPEN', 3, { min: 1, integer: true }),
      resetTimeoutMs: readNumber(env, 'LLM_BREAKER_RESET_TIMEOUT_MS', 120_000, { min: 1, integer: true }),
      successesToClose: readNumber(env, 'LLM_BREAKER_SUCCESSES_TO_CLOSE', 2, { min: 1, integer: true }),
    },
    pricing: { ...DEFAULT_PRICES, ...readPrices(env, 'LLM_PRICES_JSON') },
    mock: {
      enabled: readBoolean(env, 'MOCK_PROVIDER_ENABLED', true),
      latencyMs: readNumber(env, 'MOCK_LATENCY_MS', 2_000, { min: 0, integer: true }),
      errorRate: readNumber(env, 'MOCK_ERROR_RATE', 0, { min: 0, max: 1 }),
      expiryRate: readNumber(env, 'MOCK_EXPIRY_RATE', 0, { min: 0, max: 1 }),
      seed: readNumber(env, 'MOCK_SEED', 42, { integer: true }),
      justificationChars: readNumber(env, 'MOCK_JUSTIFICATION_CHARS', 0, {
        min: 0,
        max: MAX_MOCK_JUSTIFICATION_CHARS,
        integer: true,
      }),
      ...optional('auditFile', readAuditFile(env, 'MOCK_AUDIT_FILE')),
    },
  };
}

/** Upper bound of `MOCK_JUSTIFICATION_CHARS` (a justification ten times longer than any real judge writes). */
export const MAX_MOCK_JUSTIFICATION_CHARS = 20_000;

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** An absolute path whose directory exists (the file itself is created on the first judgement). */
function readAuditFile(env: Env, name: string): string | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  if (!isAbsolute(raw)) throw new ProviderConfigError(name, `expected an absolute path, got "${raw}"`);
  if (!existsSync(dirname(raw))) throw new ProviderConfigError(name, `directory of "${raw}" does not exist`);
  return raw;
}

function loadProviderSettings(env: Env, name: ProviderName, now: number): ProviderSettings {
  const prefix = PROVIDER_ENV_PREFIX[name];
  const defaults = PROVIDER_DEFAULTS[name];
  const keyVariable = KEY_VARIABLE[name];
  const urlVariable = BASE_URL_VARIABLE[name];
  const allowUnlistedModels = readBoolean(env, `${prefix}_ALLOW_UNLISTED_MODELS`, false);
  return {
    apiKey: keyVariable ? readString(env, keyVariable) : undefined,
    baseUrl: urlVariable ? readUrl(env, urlVariable) : undefined,
    defaultModel: readDefaultModel(
      env,
      name,
      `${prefix}_MODEL`,
      defaults.defaultModel,
      allowUnlistedModels,
      now,
    ),
    allowUnlistedModels,
    batchEnabled: readBoolean(env, `${prefix}_BATCH_ENABLED`, true),
    limits: {
      maxRequestsPerBatch: readNumber(
        env,
        `${prefix}_MAX_BATCH_REQUESTS`,
        defaults.limits.maxRequestsPerBatch,
        {
          min: 1,
          max: defaults.limits.maxRequestsPerBatch,
          integer: true,
        },
      ),
      maxBytesPerBatch: readNumber(env, `${prefix}_MAX_BATCH_BYTES`, defaults.limits.maxBytesPerBatch, {
        min: 1_024,
        max: defaults.limits.maxBytesPerBatch,
        integer: true,
      }),
    },
    timeoutMs: readNumber(env, `${prefix}_TIMEOUT_MS`, 300_000, { min: 1, integer: true }),
    concurrency: readNumber(env, `${prefix}_CONCURRENCY`, 8, { min: 1, max: 1_000, integer: true }),
    pollIntervalMs: readNumber(env, `${prefix}_POLL_INTERVAL_MS`, 30_000, { min: 0, integer: true }),
    enqueuedTokenBudget: readTokenBudget(env, `${prefix}_ENQUEUED_TOKEN_BUDGET`),
  };
}

/** Smallest accepted budget: below it not even one judge request (essays + output allowance) would fit. */
const MIN_TOKEN_BUDGET = 10_000;

/**
 * `<NAME>` (an integer) and `<NAME>_MODELS` (`model=tokens,model=tokens`), validated at start-up.
 * Set them to the usage tier's enqueued-token limits (OpenAI: per model, platform.openai.com settings, "Limits";
 * e.g. 2,000,000 for gpt-4o-mini at tier 1, openai-python#2084), less what other users of the same
 * organisation enqueue.
 */
function readTokenBudget(env: Env, name: string): EnqueuedTokenBudget {
  const range = { min: MIN_TOKEN_BUDGET, integer: true };
  const whole = readString(env, name) === undefined ? undefined : readNumber(env, name, 0, range);
  const models: Record<string, number> = {};
  const listName = `${name}_MODELS`;
  for (const entry of (readString(env, listName) ?? '').split(',').filter((e) => e.trim() !== '')) {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(entry);
    if (!match)
      throw new ProviderConfigError(listName, `expected model=tokens[,model=tokens], got "${entry}"`);
    models[match[1]] = readNumber({ [listName]: match[2] }, listName, 0, range);
  }
  return { ...optional('default', whole), models };
}

function readDefaultModel(
  env: Env,
  provider: ProviderName,
  variable: string,
  fallback: string,
  allowUnlisted: boolean,
  now: number,
): string {
  const model = readString(env, variable) ?? fallback;
  try {
    checkModel(provider, model, { allowUnlisted, now, field: variable });
  } catch (err) {
    if (err instanceof ProviderError) throw new ProviderConfigError(variable, err.message);
    throw err;
  }
  return model;
}

/** A configured default model that retires within NEAR_RETIREMENT_DAYS (or has retired since start-up). */
export interface ModelRetirementWarning extends RetirementStatus {
  provider: ProviderName;
  model: string;
  variable: string;
}

/** The default models near (or past) retirement on `now`: logged as warnings and shown in GET /api/v1/providers. */
export function modelRetirementWarnings(config: ProvidersConfig, now: number): ModelRetirementWarning[] {
  return PROVIDER_NAMES.flatMap((provider) => {
    const model = config.providers[provider].defaultModel;
    const entry = findModel(provider, model);
    const status = entry ? retirementStatus(entry, now) : null;
    if (!status || status.state === 'active') return [];
    return [{ provider, model, variable: `${PROVIDER_ENV_PREFIX[provider]}_MODEL`, ...status }];
  });
}

function readPrices(env: Env, name: string): PriceTable {
  const raw = readString(env, name);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ProviderConfigError(name, 'expected JSON: {"<model>": {"input": n, "output": n, ...}}');
  }
  if (!isRecord(parsed)) throw new ProviderConfigError(name, 'expected a JSON object keyed by model');
  const table: PriceTable = {};
  for (const [model, price] of Object.entries(parsed)) {
    if (!isModelPrice(price)) {
      throw new ProviderConfigError(
        name,
        `price of "${model}" needs non-negative numbers "input" and "output"`,
      );
    }
    table[model] = price;
  }
  return table;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isModelPrice(value: unknown): value is ModelPrice {
  if (!isRecord(value)) return false;
  const fields = ['input', 'output', 'cache_read', 'cache_write', 'cache_write_1h', 'batch_factor'];
  if (Object.keys(value).some((key) => !fields.includes(key))) return false;
  if (typeof value.input !== 'number' || typeof value.output !== 'number') return false;
  return Object.values(value).every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);
}

/** A copy of `config` with one provider's settings changed (tests, demos, per-deployment tweaks). */
export function withProviderSettings(
  config: ProvidersConfig,
  name: ProviderName,
  changes: Partial<ProviderSettings>,
): ProvidersConfig {
  return { ...config, providers: { ...config.providers, [name]: { ...config.providers[name], ...changes } } };
}
