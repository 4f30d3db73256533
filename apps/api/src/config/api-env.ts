import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Matches, Max, Min, MinLength, ValidateBy } from 'class-validator';
import { BATCH_LIMIT_DEFAULTS } from '#contracts';
import { CommonEnv } from '#infra';
import { parseTenantKeys } from '../auth/api-principal.js';
import { parseTenantRateLimits } from '../rate-limit/tenant-limits.js';
import { parseTenantCallbackTopics } from '../topics/tenant-callback-topics.js';

/** API_KEYS must parse (the message never echoes a key). */
function IsTenantKeyList(): PropertyDecorator {
  return ValidateBy({
    name: 'isTenantKeyList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && tenantKeyProblem(value) === null,
      defaultMessage: (args) =>
        `must be a comma-separated list of keys or tenant:key entries (${tenantKeyProblem(String(args?.value ?? '')) ?? 'missing'})`,
    },
  });
}

function tenantKeyProblem(value: string): string | null {
  return problemOf(() => parseTenantKeys(value));
}

function problemOf(parse: () => unknown): string | null {
  try {
    parse();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function topicPrefixOf(env: unknown): string {
  return (env as { KAFKA_TOPIC_PREFIX?: string } | undefined)?.KAFKA_TOPIC_PREFIX ?? 'huleedu';
}

const toBoolean = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase()) : value;

export class ApiEnv extends CommonEnv {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  API_PORT = 3000;

  /**
   * Comma-separated API keys accepted as `Authorization: Bearer <key>`; at least one, each ≥ 16 characters. A bare
   * key is its own tenant; `tenant:key` puts several keys in one tenant.
   */
  @IsTenantKeyList()
  API_KEYS: string;

  /**
   * Callback topics each tenant may name besides the platform result topic, as JSON
   * `{"<tenant>": ["<topic>", …]}`. Internal topics are refused at start-up.
   */
  @ValidateBy({
    name: 'isTenantCallbackTopics',
    validator: {
      validate: (value: unknown, args) =>
        typeof value === 'string' &&
        problemOf(() => parseTenantCallbackTopics(value, topicPrefixOf(args?.object))) === null,
      defaultMessage: (args) =>
        problemOf(() => parseTenantCallbackTopics(String(args?.value ?? ''), topicPrefixOf(args?.object))) ??
        'must be a JSON object',
    },
  })
  TENANT_CALLBACK_TOPICS = '';

  /** Requests per second one tenant may send (all its keys together, across replicas); above it 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  TENANT_REQUESTS_PER_SECOND = 50;

  /** Comparisons one tenant may have in unfinished batches; a request that would exceed it gets 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TENANT_MAX_COMPARISONS_IN_FLIGHT = 200_000;

  /** Per-tenant overrides: JSON `{"<tenant>": {"requests_per_second": n, "comparisons_in_flight": n}}`. */
  @ValidateBy({
    name: 'isTenantRateLimits',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && problemOf(() => parseTenantRateLimits(value)) === null,
      defaultMessage: (args) =>
        problemOf(() => parseTenantRateLimits(String(args?.value ?? ''))) ?? 'invalid',
    },
  })
  TENANT_RATE_LIMITS = '';

  /** Largest accepted request body, as understood by body-parser (e.g. 10mb). */
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'must be a size such as 512kb or 20mb' })
  API_BODY_LIMIT = '20mb';

  /** Most comparisons one POST /comparison/batch may carry. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_COMPARISONS_PER_BATCH = BATCH_LIMIT_DEFAULTS.comparisons;

  /** Most essays one batch in the essay-referencing form may carry (each sent and stored once). */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(1_000_000)
  MAX_ESSAYS_PER_BATCH = BATCH_LIMIT_DEFAULTS.essays;

  /** Largest body of one part of a multi-part upload, in bytes (default 10 MB). */
  @Type(() => Number)
  @IsInt()
  @Min(1_024)
  @Max(100_000_000)
  UPLOAD_PART_MAX_BYTES = 10_485_760;

  /** How long an unsealed multi-part upload lives; then it is deleted with its parts. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(604_800)
  UPLOAD_TTL_SECONDS = 86_400;

  /** Most characters in one essay (essay_a, essay_b). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_ESSAY_CHARS = BATCH_LIMIT_DEFAULTS.essayChars;

  /** Most characters in a user_prompt. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_PROMPT_CHARS = BATCH_LIMIT_DEFAULTS.promptChars;

  /** Most bytes of one comparison's metadata, as JSON. */
  @Type(() => Number)
  @IsInt()
  @Min(64)
  @Max(1_048_576)
  METADATA_MAX_BYTES = 16_384;

  /** Deepest nesting of one comparison's metadata (`{}` is 1). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(32)
  METADATA_MAX_DEPTH = 8;

  /** Cap on the caller's `Prefer: wait=N`: the longest a request is held open waiting for results. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600)
  PREFER_WAIT_MAX_SECONDS = 30;

  /**
   * Safety-net re-read interval of a held request: the batch's terminal notification wakes it at once, this only
   * bounds the wait when a notification was lost (pub/sub is at-most-once).
   */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  PREFER_WAIT_POLL_MS = 1_000;

  /**
   * Individual requests held by `Prefer: wait` that this API process runs itself, at most this many at once, when
   * nothing is queued ahead of them (no queued request is overtaken; a worker's wake-up and the completion's
   * notification are skipped). 0 leaves every individual request to the workers.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000)
  DIRECT_RUN_CONCURRENCY = 8;

  /**
   * Lease on an individual request the API runs itself, renewed every third of it while the run lasts: if the API
   * process dies, the lease runs out and a worker runs the request (as for a worker that died).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  DIRECT_RUN_LEASE_MS = 30_000;

  /** Largest page of GET /comparison/batch/{id}/results. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RESULTS_PAGE_MAX_LIMIT = 1_000;

  /** Prefix of the batch store's Redis keys and BullMQ queues; the worker must use the same. */
  @Matches(/^[a-zA-Z0-9_.-]{1,64}$/, { message: 'must be 1-64 characters of [a-zA-Z0-9_.-]' })
  REDIS_KEY_PREFIX = 'lbs';

  /** How long a finished batch (record, requests, results, idempotency key) is kept in Redis. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  RESULT_RETENTION_SECONDS = 604_800;

  /**
   * Largest CJAssessmentRequestedV1 event POST /api/v1/assessments publishes with its essays inline (bytes of
   * JSON; the broker's message.max.bytes, 1 MB stock, refuses bigger ones). Above it the essays are stored in the
   * assessment store and the event carries `essays_ref` instead.
   */
  @Type(() => Number)
  @IsInt()
  @Min(10_000)
  ASSESSMENT_MAX_EVENT_BYTES = 1_000_000;

  /** Comparisons per essay of a REST assessment that does not say (sent explicitly to cj-integration). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  ASSESSMENT_DEFAULT_COMPARISONS_PER_ESSAY = 10;

  /** Serve /metrics without the API key (for a scraper inside a trusted network). */
  @Transform(toBoolean)
  @IsBoolean()
  METRICS_PUBLIC = false;

  /** OpenAI webhook signing secret (`whsec_…`, from the dashboard): enables POST /webhooks/openai. */
  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9+/=]{16,}$/, {
    message: 'must be the whsec_… signing secret from the OpenAI dashboard',
  })
  OPENAI_WEBHOOK_SECRET?: string;

  /** Signing secret of a Gemini project-level webhook (Standard Webhooks): enables signed POST /webhooks/google. */
  @IsOptional()
  @MinLength(16)
  GEMINI_WEBHOOK_SECRET?: string;

  /** Secret of the per-batch webhook URLs (OpenRouter callback_url, Gemini webhookConfig); same as the worker's. */
  @IsOptional()
  @MinLength(32)
  WEBHOOK_URL_SECRET?: string;
}
