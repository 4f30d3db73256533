import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchRepository, type BatchRecord, type StoredResult } from '#batch-store';
import type { ProviderBatchRef } from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';

/** Items a provider batch ended without: the provider's window ran out before it reached them. */
export function isUnfinished(result: StoredResult): boolean {
  return result.result.error_detail?.error_code === 'BATCH_EXPIRED';
}

/**
 * Expiry keeps what was paid for (issue 9.6). A provider batch that expires has usually finished part of its
 * items, and those are billed: OpenAI returns them in the output file of an `expired` batch and lists the rest as
 * `batch_expired` in the error file (platform.openai.com/docs/guides/batch, "Batch expiration"); Anthropic ends the
 * batch with per-item results of type `expired` for what it did not reach, which are not billed
 * (platform.claude.com/docs/en/build-with-claude/batch-processing, "Batch results"); a Gemini job that expires after
 * 48 h returns no results at all (ai.google.dev/gemini-api/docs/batch-mode), so there every item is unfinished.
 *
 * So, at collection, the finished items' results are stored as they are and a new provider batch is submitted
 * with only the unfinished items, to the same provider, model and config (the batch's snapshot), at most
 * EXPIRY_RESUBMIT_ATTEMPTS times. The batch then completes once; its consumers (cj-integration) never see the
 * expiry unless the resubmissions expire too, and the finished half is never paid for twice.
 */
@Injectable()
export class ExpiryResubmitter {
  private readonly logger = new Logger('ExpiryResubmitter');

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(WORKER_ENV) private readonly env: Pick<WorkerEnv, 'EXPIRY_RESUBMIT_ATTEMPTS'>,
  ) {}

  /** Whether this batch's unfinished items may still go out again (not cancelled, attempts left). */
  mayResubmit(record: BatchRecord): boolean {
    if (record.cancel_requested) return false;
    return (record.expiry_resubmissions ?? 0) < this.env.EXPIRY_RESUBMIT_ATTEMPTS;
  }

  /**
   * Drops the expired provider ref, counting the resubmission, once the finished items' results are stored (the
   * worker stores them chunk by chunk while it collects). Returns the updated record, or null when the batch is
   * gone or no longer active.
   */
  async reopen(
    record: BatchRecord,
    ref: ProviderBatchRef,
    finished: number,
    unfinished: number,
  ): Promise<BatchRecord | null> {
    const round = (record.expiry_resubmissions ?? 0) + 1;
    const expiredIds = ref.parts.map((p) => p.provider_batch_id);
    const next = await this.repo.transitionFrom(record.batch_id, ['submitted', 'in_progress'], (r) => ({
      to: 'in_progress',
      patch: {
        provider_ref: undefined,
        submit_attempts: 0,
        expiry_resubmissions: round,
        retired_provider_batch_ids: [...(r.retired_provider_batch_ids ?? []), ...expiredIds],
      },
    }));
    this.logger.warn({
      msg: 'provider batch expired with unfinished items: resubmitting only those',
      batch_id: record.batch_id,
      provider: record.config.provider,
      model: record.config.model,
      resubmission: round,
      finished,
      unfinished,
      expired_provider_batch_ids: expiredIds,
    });
    return next;
  }
}
