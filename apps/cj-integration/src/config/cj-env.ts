import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';
import { BATCH_LIMIT_DEFAULTS, TOPIC_NAME_PATTERN } from '#contracts';
import { CommonEnv } from '#infra';

export class CjEnv extends CommonEnv {
  /** Port of the service's health probes. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  CJ_PORT = 3002;

  /** Base URL of the comparison service (apps/api), without /api/v1. */
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'must be an http(s) URL' })
  CJ_API_BASE_URL = 'http://127.0.0.1:3000';

  /** Key sent as `Authorization: Bearer <key>` to the comparison service (one of its API_KEYS). */
  @Matches(/^[A-Za-z0-9._~+/=-]{16,}$/, { message: 'must be a key of at least 16 characters' })
  CJ_API_KEY: string;

  /** Kafka consumer group of the service. */
  @Matches(/^[a-zA-Z0-9._-]{1,200}$/, { message: 'must be a Kafka group id' })
  CJ_KAFKA_GROUP_ID = 'cj-integration';

  /** Topic the comparison service publishes this service's results to; default: its private `<prefix>.cj_integration.comparison_result.v1`. */
  @IsOptional()
  @Matches(TOPIC_NAME_PATTERN, { message: 'must be a Kafka topic name' })
  CJ_CALLBACK_TOPIC?: string;

  /** Comparisons per essay when the request does not say. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  CJ_DEFAULT_COMPARISONS_PER_ESSAY = 10;

  /** How many times a failed or expired batch is resubmitted as a whole (same provider) before the assessment fails. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10)
  CJ_BATCH_RETRIES = 1;

  /** Share of comparisons that must succeed (after one follow-up batch for per-item errors); 1 = all. */
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(1)
  CJ_MIN_SUCCESS_RATE = 1;

  /**
   * Upper bound on one assessment, request to outcome event. The default leaves room for one whole-batch retry
   * after a provider expiry: the first batch may run the provider's full 24 h window (+ the worker's 1 h grace
   * when it cannot be polled) before it expires, and the retry gets a fresh 24 h (+ 1 h) window; 2 h more cover
   * queueing, submissions and scoring: 2 × (24 h + 1 h) + 2 h = 52 h. Gemini's window is 48 h: assessments run
   * there need 2 × (48 h + 1 h) + 2 h = 100 h (360000000).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  CJ_ASSESSMENT_DEADLINE_MS = 52 * 60 * 60 * 1000;

  /** How often unfinished assessments are checked for a step a crash or an error interrupted (and resumed). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  CJ_RESUME_INTERVAL_MS = 30_000;

  /** How often overdue assessments are looked for. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  CJ_DEADLINE_CHECK_INTERVAL_MS = 1000;

  /** Temperature pinned into every batch of an assessment whose request does not set one (no default drift). */
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(2)
  CJ_DEFAULT_TEMPERATURE = 0;

  /** Max tokens pinned into every batch of an assessment whose request does not set them. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200000)
  CJ_DEFAULT_MAX_TOKENS = 1024;

  /**
   * Ridge alpha of the Bradley-Terry fit (penalty alpha * sum(theta^2), i.e. a N(0, 1/(2 alpha)) prior). The scoring
   * lib's default (1e-5) reproduces the plain MLE, but in CJ an essay often wins or loses all of its ~10
   * comparisons: under that near-flat prior it lands at +-30 logits with SE ~45 and SSR turns negative. 0.01
   * (prior SD ~7 logits, far wider than real ability spreads) keeps such essays finite and SSR meaningful.
   */
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(10)
  CJ_BT_RIDGE = 0.01;

  /**
   * How long a call to the comparison service is retried on connection errors, timeouts, 429 and 5xx (a restart
   * or deploy of the api, a short outage) before the step gives up (a submission then fails the assessment).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  CJ_API_RETRY_FOR_MS = 300_000;

  /** First wait between two calls to the comparison service; doubles per try up to CJ_API_BACKOFF_MAX_MS. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  CJ_API_BACKOFF_MS = 500;

  /** Longest wait between two calls to the comparison service. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(600_000)
  CJ_API_BACKOFF_MAX_MS = 15_000;

  /** Timeout of one call to the comparison service. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600000)
  CJ_API_TIMEOUT_MS = 30000;

  /**
   * Largest body sent to the comparison service as one request (keep it ≤ the api's API_BODY_LIMIT, 20 MiB by
   * default); a larger batch is sent as a multi-part upload (create → parts of the api's part_max_bytes → seal).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  CJ_API_MAX_BODY_BYTES = 20_000_000;

  /**
   * Largest outcome event (serialised envelope) sent as one Kafka record, below the broker's message.max.bytes
   * (1 MB stock). A larger ranking goes out in CJAssessmentRankingsPartV1 parts before the completed event.
   */
  @Type(() => Number)
  @IsInt()
  @Min(10_000)
  CJ_MAX_EVENT_BYTES = 900_000;

  /** Most essays accepted in one assessment: keep it equal to the api's MAX_ESSAYS_PER_BATCH. */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  CJ_MAX_ESSAYS: number = BATCH_LIMIT_DEFAULTS.essays;

  /** Most comparisons one assessment's batch may hold: keep it equal to the api's MAX_COMPARISONS_PER_BATCH. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  CJ_MAX_COMPARISONS: number = BATCH_LIMIT_DEFAULTS.comparisons;

  /** Most characters per essay: keep it equal to the api's MAX_ESSAY_CHARS. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  CJ_MAX_ESSAY_CHARS: number = BATCH_LIMIT_DEFAULTS.essayChars;

  /** Most characters of the shared prompt (assignment, criteria, instructions): the api's MAX_PROMPT_CHARS. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  CJ_MAX_PROMPT_CHARS: number = BATCH_LIMIT_DEFAULTS.promptChars;

  /**
   * Accept a request's `model_override` that the model catalog does not list (set it where the api's
   * `<P>_ALLOW_UNLISTED_MODELS` is set); otherwise such a request is refused before anything is stored.
   */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase()) : value,
  )
  @IsBoolean()
  CJ_ALLOW_UNLISTED_MODELS = false;

  /** How long assessment state is kept in Redis after the outcome. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  CJ_STATE_RETENTION_SECONDS = 7 * 24 * 3600;
}
