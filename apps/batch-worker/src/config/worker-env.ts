import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUrl, Matches, Max, Min, MinLength } from 'class-validator';
import { CommonEnv } from '#infra';

/**
 * Worker settings. Provider settings (keys, models, BATCH_PROCESSING_ENABLED, ...) are read separately by
 * loadProvidersConfig from #llm-providers.
 */
export class WorkerEnv extends CommonEnv {
  /** Port of the worker's health probes and metrics. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  WORKER_PORT = 3001;

  /** Prefix of the batch store's Redis keys and BullMQ queues; the API must use the same. */
  @Matches(/^[a-zA-Z0-9_.-]{1,64}$/, { message: 'must be 1-64 characters of [a-zA-Z0-9_.-]' })
  REDIS_KEY_PREFIX = 'lbs';

  /** First wait between two status polls of a submitted provider batch. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  BATCH_POLL_INTERVAL_MS = 30_000;

  /** Upper bound of the poll interval, which grows by 1.5x per poll. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  BATCH_POLL_MAX_INTERVAL_MS = 300_000;

  /** Batch jobs (submit, poll, collect steps) the worker runs at the same time. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  WORKER_CONCURRENCY = 4;

  /**
   * Individual-endpoint jobs (one provider call each, mostly waiting on the provider) run at once per worker, so
   * that a burst of single comparisons is not served four at a time. Priority decides which queued job starts next.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  COMPARISON_QUEUE_CONCURRENCY = 32;

  /** Cap on concurrent provider calls when a batch is served by individual calls (the rollback path). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  INDIVIDUAL_CONCURRENCY = 8;

  /** How long a finished batch's record and results stay in Redis. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  RESULT_RETENTION_SECONDS = 604_800;

  /** Wait before retrying the outbox after Kafka refused a publish. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(600_000)
  OUTBOX_RETRY_MS = 1_000;

  /** How often the pending outboxes are listed (this worker's own new events wake it at once, for their batch only). */
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(60_000)
  OUTBOX_POLL_MS = 200;

  /** Most events read from a batch's outbox at once (they leave in produce requests bounded by bytes). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  OUTBOX_BATCH_SIZE = 1_000;

  /**
   * Largest produce request the outbox sends, in bytes (estimated from keys, values and record overhead). Keep it
   * below the broker's `message.max.bytes` (1,048,588 on a stock broker) and the topic's `max.message.bytes`; an
   * event larger than this on its own is dead-lettered (reason `too_large`).
   */
  @Type(() => Number)
  @IsInt()
  @Min(4_096)
  @Max(100_000_000)
  OUTBOX_MAX_REQUEST_BYTES = 900_000;

  /**
   * Batches whose outboxes one worker drains at the same time (each batch's events stay in order). Drains started
   * together share their Redis writes and Kafka produce rounds: the API's direct runs leave one-event outboxes by
   * the hundred a second, and draining them 4 at a time cost the worker twice the CPU per event of 32 at a time.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  OUTBOX_CONCURRENCY = 32;

  /** TTL of a batch's outbox lock; renewed every third of it while the drain runs. */
  @Type(() => Number)
  @IsInt()
  @Min(300)
  @Max(600_000)
  OUTBOX_LOCK_MS = 10_000;

  /** BullMQ job lock: a job whose worker died is retried after this (stalled-job detection). */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  JOB_LOCK_DURATION_MS = 30_000;

  /** Default wait after a provider 429 without Retry-After: the queue pauses, jobs are not failed. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  RATE_LIMIT_BACKOFF_MS = 10_000;

  /** First wait after a step (submit, poll, collect) failed transiently; doubles per consecutive failure. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(600_000)
  STEP_RETRY_BASE_MS = 2_000;

  /** Longest wait between two tries of a failing step. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  STEP_RETRY_MAX_MS = 300_000;

  /**
   * Consecutive transient failures a submit step may have before its batch fails. Polls and collection of a
   * submitted batch have no such budget: they are retried until the provider's own batch window has passed.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  STEP_SUBMIT_ATTEMPTS = 8;

  /** Extra time after a provider's batch window (24 h; Gemini 48 h) before a batch that cannot be polled fails. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  BATCH_EXPIRY_GRACE_MS = 3_600_000;

  /**
   * How many times the unfinished items of an expired provider batch are resubmitted (same provider, model and
   * config; only the items without a result) before the batch ends `expired`. The finished items' results are
   * kept and never resubmitted: they were paid for (issue 9.6). 0 turns resubmission off.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(5)
  EXPIRY_RESUBMIT_ATTEMPTS = 1;

  /**
   * How long a batch part waiting for enqueued-token quota (`<P>_ENQUEUED_TOKEN_BUDGET`) waits before it asks
   * again, when no earlier part of its own is running to be polled (those free quota as they end).
   */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  QUOTA_WAIT_MS = 30_000;

  /**
   * Quota refusals by the provider (OpenAI `token_limit_exceeded`, Anthropic/Gemini 429 on batch create) one batch
   * may meet; each makes the refused part wait and be resubmitted. Past it, or past the provider's batch window
   * (24 h; Gemini 48 h) since acceptance with a part still waiting, the batch fails with QUOTA_EXCEEDED.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000)
  QUOTA_MAX_REFUSALS = 20;

  /** How often one worker of the deployment checks every active batch against its job (the reconciler). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  RECONCILE_INTERVAL_MS = 60_000;

  /** Jobs a batch may lose or fail (and get back from the reconciler) before the batch is failed. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000)
  RECONCILE_MAX_REVIVALS = 5;

  /** How often queue depths and circuit states are sampled into metrics. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(600_000)
  METRICS_SAMPLE_MS = 5_000;

  /**
   * Public base URL of the API (e.g. https://llm.example.org): when set with WEBHOOK_URL_SECRET, OpenRouter and
   * Gemini batches are created with a webhook to <base>/webhooks/<provider> that wakes the batch at once.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  WEBHOOK_PUBLIC_BASE_URL?: string;

  /** Secret that signs the per-batch webhook URLs (the API must have the same one). At least 32 characters. */
  @IsOptional()
  @MinLength(32)
  WEBHOOK_URL_SECRET?: string;

  /**
   * Safety-net poll interval of a batch whose provider will announce its end (a webhook is configured for it):
   * the webhook wakes the batch at once; this poll only covers a lost notification.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  BATCH_POLL_SAFETY_INTERVAL_MS = 600_000;

  /** Providers whose completion webhooks reach the API (comma list of openai, google, openrouter). */
  @IsOptional()
  @Matches(/^(openai|google|openrouter)(,(openai|google|openrouter))*$/, {
    message: 'must be a comma-separated list of openai, google, openrouter',
  })
  WEBHOOK_PROVIDERS?: string;
}
