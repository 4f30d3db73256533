import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchRepository, EnqueuedTokenStore, ProviderPauseStore, type BatchRecord } from '#batch-store';
import {
  ProviderError,
  type PartAdmission,
  type ProviderBatchRef,
  type ProviderBatchStatus,
} from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { PROVIDER_BATCH_WINDOW_MS } from './step-retry.js';

type QuotaEnv = Pick<WorkerEnv, 'QUOTA_WAIT_MS' | 'QUOTA_MAX_REFUSALS' | 'BATCH_EXPIRY_GRACE_MS'>;
type BatchState = ProviderBatchStatus['parts'][number]['state'];
const LEFT_QUEUE: ReadonlySet<BatchState> = new Set(['ended', 'failed', 'expired', 'canceled']);

/** The ledger member of one part of one submission. */
export function partMember(submissionKey: string, partIndex: number): string {
  return `${submissionKey}#${partIndex}`;
}

/**
 * Quotas (issue 9.5). Providers cap what one organisation has in their batch queue: OpenAI per model in enqueued
 * tokens (a batch over it fails validation as a whole with `token_limit_exceeded`; openai-python#2084,
 * platform.openai.com/docs/guides/rate-limits "Batch queue limits"), Anthropic in batch requests in its
 * processing queue (over it, batch create answers 429 `rate_limit_error`; platform.claude.com/docs/en/api/
 * rate-limits, "Message Batches API"), Gemini in enqueued tokens per model (429 RESOURCE_EXHAUSTED on create;
 * ai.google.dev/gemini-api/docs/rate-limits, "Batch Mode rate limits"; discuss.ai.google.dev thread 112624).
 *
 * Parts are planned under the provider/model's budget by the provider library; here each part reserves its
 * estimated tokens in a ledger shared by every worker before it is created (a part that does not fit waits until
 * earlier parts leave the queue) and gives them back when it ends. A refusal by the provider all the same (other
 * users of the organisation, an estimate too low) makes the refused part wait and be submitted again: a bounded
 * number of times, and only while the provider's batch window since acceptance lasts, then QUOTA_EXCEEDED.
 */
@Injectable()
export class QuotaGate {
  private readonly logger = new Logger('QuotaGate');

  constructor(
    @Inject(EnqueuedTokenStore) private readonly ledger: EnqueuedTokenStore,
    @Inject(ProviderPauseStore) private readonly pauses: ProviderPauseStore,
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(WORKER_ENV) private readonly env: QuotaEnv,
  ) {}

  /** The admitPart callback of a submission: reserves each part's tokens in the shared ledger. */
  admitter(record: BatchRecord, submissionKey: string): (part: PartAdmission) => Promise<boolean> {
    const { provider, model } = record.config;
    return async (part) => {
      const admitted = await this.ledger.reserve(
        provider,
        model,
        partMember(submissionKey, part.part_index),
        part.estimated_tokens,
        part.budget,
        PROVIDER_BATCH_WINDOW_MS[provider] + this.env.BATCH_EXPIRY_GRACE_MS,
      );
      if (!admitted) {
        this.logger.log({
          msg: 'batch part waits for enqueued-token quota',
          batch_id: record.batch_id,
          provider,
          model,
          part_index: part.part_index,
          estimated_tokens: part.estimated_tokens,
          budget: part.budget,
        });
      }
      return admitted;
    };
  }

  /** Gives back the tokens of parts that have left the provider's queue. */
  async releaseFinished(
    record: BatchRecord,
    submissionKey: string,
    status: ProviderBatchStatus,
  ): Promise<void> {
    const done = status.parts.filter((p) => LEFT_QUEUE.has(p.state));
    await this.ledger.release(
      record.config.provider,
      record.config.model,
      done.map((p) => partMember(submissionKey, p.part_index)),
    );
  }

  /** Gives back every reservation of a submission (the batch ends, or its ref is replaced). */
  async releaseAll(
    record: BatchRecord,
    submissionKey: string,
    ref: ProviderBatchRef | undefined,
  ): Promise<void> {
    if (!ref) return;
    const members = Array.from({ length: ref.part_count }, (_, i) => partMember(submissionKey, i));
    await this.ledger.release(record.config.provider, record.config.model, members);
  }

  /** Whether the batch may go on waiting for quota (else it fails with `quotaExceeded`). */
  mayWait(record: BatchRecord, refusals = record.quota_refusals ?? 0): boolean {
    const deadline = Date.parse(record.created_at) + PROVIDER_BATCH_WINDOW_MS[record.config.provider];
    return refusals <= this.env.QUOTA_MAX_REFUSALS && Date.now() < deadline;
  }

  quotaExceeded(record: BatchRecord): ProviderError {
    return new ProviderError(
      'QUOTA_EXCEEDED',
      `${record.config.provider} ${record.config.model}: the provider's batch queue stayed full ` +
        `(${record.quota_refusals ?? 0} refusals); the batch could not be submitted within its window`,
      { provider: record.config.provider, retryable: true },
    );
  }

  /**
   * The provider refused parts for quota after creating them (OpenAI: `failed` with `token_limit_exceeded`).
   * They are dropped from the ref, so the next submit step creates them again; their tokens are given back, the
   * refusal is counted and the provider/model is paused for QUOTA_WAIT_MS (new parts wait; polls go on).
   * Returns the updated record, or null when the batch is gone or no longer active.
   */
  async dropRefusedParts(
    record: BatchRecord,
    submissionKey: string,
    ref: ProviderBatchRef,
    refused: number[],
  ): Promise<BatchRecord | null> {
    const kept = { ...ref, parts: ref.parts.filter((p) => !refused.includes(p.part_index)) };
    const updated = await this.repo.transitionFrom(
      record.batch_id,
      ['queued', 'submitted', 'in_progress'],
      (r) => ({
        to: r.status,
        patch: {
          provider_ref: kept,
          quota_refusals: (r.quota_refusals ?? 0) + refused.length,
          retired_provider_batch_ids: [
            ...(r.retired_provider_batch_ids ?? []),
            ...ref.parts.filter((p) => refused.includes(p.part_index)).map((p) => p.provider_batch_id),
          ],
        },
      }),
    );
    await this.ledger.release(
      record.config.provider,
      record.config.model,
      refused.map((i) => partMember(submissionKey, i)),
    );
    await this.pauses.pause(record.config.provider, record.config.model, this.env.QUOTA_WAIT_MS);
    this.logger.warn({
      msg: 'provider refused batch parts for quota: they wait and are resubmitted',
      batch_id: record.batch_id,
      provider: record.config.provider,
      model: record.config.model,
      part_indexes: refused,
      refusals: updated?.quota_refusals,
      wait_ms: this.env.QUOTA_WAIT_MS,
    });
    return updated;
  }

  /** A 429 on batch create (Anthropic, Gemini): counted as a quota refusal of the part being created. */
  async countRefusal(record: BatchRecord): Promise<BatchRecord | null> {
    return this.repo.transitionFrom(record.batch_id, ['queued', 'submitted', 'in_progress'], (r) => ({
      to: r.status,
      patch: { quota_refusals: (r.quota_refusals ?? 0) + 1 },
    }));
  }
}
