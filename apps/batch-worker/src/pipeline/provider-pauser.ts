import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProviderPauseStore, type BatchRecord } from '#batch-store';
import type { ProviderName } from '#contracts';
import type { ProviderError } from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import type { StepOutcome } from './step-outcome.js';

/** Redis rejects a zero expiry (Retry-After: 0); the shortest pause is still a pause. */
const MIN_PAUSE_MS = 50;

/**
 * Rate limits and open circuits pause only the provider concerned: a 429 pauses new work for that provider and
 * model, an open circuit (the breaker is per provider) new work for the provider. The pause is shared by every
 * worker through Redis; other providers' work and every status poll go on. The job that met it runs again later.
 */
@Injectable()
export class ProviderPauser {
  private readonly logger = new Logger(ProviderPauser.name);

  constructor(
    @Inject(ProviderPauseStore) private readonly pauses: ProviderPauseStore,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  /** The pausing error's provider (and model, for a 429) waits; returns the outcome for the job that met it. */
  async pauseFor(record: BatchRecord, error: ProviderError): Promise<StepOutcome> {
    const delayMs = Math.max(MIN_PAUSE_MS, error.retryAfterMs ?? this.env.RATE_LIMIT_BACKOFF_MS);
    const model = error.code === 'RATE_LIMIT' ? record.config.model : null;
    await this.pauses.pause(record.config.provider, model, delayMs);
    this.logger.warn({
      msg:
        error.code === 'RATE_LIMIT' ? 'provider rate limit: pausing model' : 'circuit open: pausing provider',
      batch_id: record.batch_id,
      provider: record.config.provider,
      model: model ?? '*',
      delay_ms: delayMs,
    });
    return { kind: 'paused', delayMs };
  }

  /** Before new provider work for `record`: the outcome to wait with while its provider/model is paused. */
  async waitIfPaused(record: BatchRecord): Promise<StepOutcome | null> {
    return this.waitIfPausedFor(record.config.provider, record.config.model);
  }

  /** The same for a provider and model known before the record is read (a job's hint). */
  async waitIfPausedFor(provider: ProviderName, model: string): Promise<StepOutcome | null> {
    const remaining = await this.pauses.remainingMs(provider, model);
    return remaining > 0 ? { kind: 'paused', delayMs: Math.max(MIN_PAUSE_MS, remaining) } : null;
  }
}
