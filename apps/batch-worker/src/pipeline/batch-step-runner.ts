import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  batchWebhookUrl,
  BatchRepository,
  BatchWakeups,
  isTerminal,
  type BatchRecord,
  type BatchStatus,
  type StoredComparison,
  type StoredResult,
  type VersionedRecord,
  startedEvent,
  toComparisonRequest,
  chunkToResults,
  failureOf,
  outcomeToResults,
} from '#batch-store';
import { CorrelationContext } from '#infra';
import {
  normalizeProviderError,
  ProviderError,
  ProviderRegistry,
  toOverrides,
  type BatchNotifyTarget,
  type LlmProvider,
  type ProviderBatchRef,
  type ProviderBatchStatus,
} from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { OutboxSignal } from '../outbox/outbox-signal.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { BatchFinisher } from './batch-finisher.js';
import { ExpiryResubmitter, isUnfinished } from './expiry-resubmitter.js';
import { IndividualRunner, type IndividualPrefetch } from './individual-runner.js';
import { ProviderPauser } from './provider-pauser.js';
import { QuotaGate } from './quota-gate.js';
import type { PollHint, StepOutcome } from './step-outcome.js';
import { TurnaroundTracker } from './turnaround-tracker.js';
import { decideStepRetry, PROVIDER_BATCH_WINDOW_MS } from './step-retry.js';

/** Providers whose batch create takes a webhook URL (OpenAI webhooks are set per project in its dashboard). */
const PER_BATCH_WEBHOOK_PROVIDERS = new Set<string>(['openrouter', 'google']);

/** Providers whose completion webhooks reach the API (WEBHOOK_PROVIDERS). */
export function webhookProviders(env: Pick<WorkerEnv, 'WEBHOOK_PROVIDERS'>): Set<string> {
  return new Set((env.WEBHOOK_PROVIDERS ?? '').split(',').filter((p) => p.length > 0));
}

function pollHint(record: BatchRecord, submittedAt: string | undefined): PollHint {
  return {
    provider: record.config.provider,
    comparisons: record.comparison_count,
    ...(submittedAt ? { submittedAt } : {}),
  };
}

/**
 * The key the provider tags this submission with (OpenAI metadata, Gemini displayName): the batch id, and for a
 * resubmission of expired items a suffix, so crash recovery never adopts the earlier, expired provider batch.
 */
function submissionKey(record: BatchRecord): string {
  const round = record.expiry_resubmissions ?? 0;
  return round === 0 ? record.batch_id : `${record.batch_id}.x${round}`;
}

function isComplete(ref: ProviderBatchRef | undefined): ref is ProviderBatchRef {
  return ref !== undefined && ref.parts.length >= ref.part_count;
}

/**
 * One run of a batch job: reads the stored batch and does the next step (submit → poll → collect → store →
 * finish). Driven only by the stored record, so a repeated or resumed run never submits twice: the provider
 * reference is persisted part by part before any wait.
 */
@Injectable()
export class BatchStepRunner {
  private readonly logger = new Logger('BatchStepRunner');

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(ProviderRegistry) private readonly registry: ProviderRegistry,
    @Inject(BatchFinisher) private readonly finisher: BatchFinisher,
    @Inject(IndividualRunner) private readonly individual: IndividualRunner,
    @Inject(OutboxSignal) private readonly signal: OutboxSignal,
    @Inject(ProviderPauser) private readonly pauser: ProviderPauser,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(BatchWakeups) private readonly wakeups: BatchWakeups,
    @Inject(TurnaroundTracker) private readonly turnaround: TurnaroundTracker,
    @Inject(ExpiryResubmitter) private readonly expiry: ExpiryResubmitter,
    @Inject(QuotaGate) private readonly quota: QuotaGate,
  ) {}

  /**
   * Runs the batch's next step. `failuresSoFar` is how many times in a row this step failed transiently before
   * (kept by the job, reset after any success): a thrown error becomes a `retry` within the step's own budget
   * (see decideStepRetry), or the batch's end when that budget is spent.
   */
  async run(
    batchId: string,
    failuresSoFar = 0,
    job?: {
      individual: boolean;
      target?: { provider: string; model: string };
      /**
       * The lane's claim of this id, sent with this run's reads: awaited before anything is written, and a run
       * whose claim went to another id ends there ('not_claimed').
       */
      claimed?: Promise<boolean>;
      /** Take the batch from queued to in_progress with the first read (a lane run: no separate transition). */
      take?: boolean;
    },
  ): Promise<StepOutcome> {
    // A job of the individual queue: its run's reads go out with the record read (one round trip).
    const prefetched = job?.individual ? this.individual.prefetch(batchId, job.target) : undefined;
    const read = job?.take
      ? this.repo.takeQueued(batchId, new Date().toISOString())
      : this.repo.getVersioned(batchId).then((versioned) => ({ versioned, took: false }));
    if (job?.claimed && !(await job.claimed)) {
      // Not given back to queued: another worker may hold the claim and be running it already. Whoever runs it
      // takes it as it is (in_progress), and its end writes the record whole.
      await Promise.allSettled([read, prefetched?.reads]);
      return { kind: 'done', status: 'not_claimed' };
    }
    const { versioned, took } = await read;
    if (!versioned) return { kind: 'done', status: 'missing' };
    const record = versioned.record;
    if (isTerminal(record.status)) return { kind: 'done', status: record.status };
    return CorrelationContext.run(record.correlation_id, async () => {
      try {
        return await this.step(record, versioned, prefetched, took);
      } catch (err) {
        return this.afterStepError(batchId, err, failuresSoFar);
      }
    });
  }

  /** A step threw a transient (or unexpected) error: retry it with backoff, or end the batch when it may not. */
  private async afterStepError(batchId: string, err: unknown, failuresSoFar: number): Promise<StepOutcome> {
    const record = await this.repo.get(batchId);
    if (!record) return { kind: 'done', status: 'missing' };
    if (isTerminal(record.status)) return { kind: 'done', status: record.status };
    const ref = record.provider_ref;
    const phase = isComplete(ref) ? 'poll' : 'submit';
    const pollUntil = isComplete(ref)
      ? Date.parse(ref.submitted_at) +
        PROVIDER_BATCH_WINDOW_MS[record.config.provider] +
        this.env.BATCH_EXPIRY_GRACE_MS
      : null;
    const message = err instanceof Error ? err.message : String(err);
    const decision = decideStepRetry(
      phase,
      failuresSoFar,
      {
        baseMs: this.env.STEP_RETRY_BASE_MS,
        maxMs: this.env.STEP_RETRY_MAX_MS,
        submitAttempts: this.env.STEP_SUBMIT_ATTEMPTS,
      },
      Number.isFinite(pollUntil) ? pollUntil : null,
      Date.now(),
    );
    this.metrics.recordStepFailure(record.config.provider, phase, decision.retry);
    if (decision.retry) {
      this.logger.warn({
        msg: 'batch step failed; retrying',
        batch_id: batchId,
        phase,
        failures: failuresSoFar + 1,
        delay_ms: decision.delayMs,
        error: message,
      });
      return { kind: 'retry', delayMs: decision.delayMs, error: message };
    }
    const error =
      err instanceof ProviderError
        ? err
        : new ProviderError('INTERNAL_ERROR', 'The batch could not be processed');
    this.logger.error({
      msg: 'batch step gave up',
      batch_id: batchId,
      phase,
      reason: decision.reason,
      error: message,
    });
    return this.fail(record, error, this.providerOrNull(record));
  }

  /** Ends a batch the worker cannot process (its job keeps failing): recorded provider parts are cancelled first. */
  async giveUp(batchId: string, why: string): Promise<StepOutcome> {
    const record = await this.repo.get(batchId);
    if (!record) return { kind: 'done', status: 'missing' };
    if (isTerminal(record.status)) return { kind: 'done', status: record.status };
    const error = new ProviderError('INTERNAL_ERROR', `The batch could not be processed: ${why}`);
    return CorrelationContext.run(record.correlation_id, () =>
      this.fail(record, error, this.providerOrNull(record)),
    );
  }

  private providerOrNull(record: BatchRecord): LlmProvider | null {
    try {
      return this.registry.get(record.config.provider);
    } catch {
      return null;
    }
  }

  private async step(
    record: BatchRecord,
    versioned?: VersionedRecord,
    prefetched?: IndividualPrefetch,
    /** This run took the batch from queued with its read (`versioned` is the record as taken). */
    took = false,
  ): Promise<StepOutcome> {
    let provider: LlmProvider;
    try {
      provider = this.registry.get(record.config.provider);
    } catch (err) {
      return this.fail(record, normalizeProviderError(err, record.config.provider), null);
    }
    if (record.status === 'queued' && record.cancel_requested) {
      // Parts an interrupted submission already created run (and bill) at the provider: cancel them first. A
      // failed cancel throws, so the step is retried within its budget instead of leaving them orphaned.
      if (record.provider_ref && record.provider_ref.parts.length > 0) {
        await provider.cancelBatch(record.provider_ref);
      }
      await this.finisher.failRemaining(record, { code: 'CANCELED', message: 'The batch was canceled' });
      return this.finisher.finish(record.batch_id, 'canceled');
    }
    const mode =
      record.status === 'queued'
        ? record.kind === 'single' || !provider.supportsBatch()
          ? 'individual'
          : 'batch'
        : record.mode;
    // New provider work waits while its provider or model is paused; polls of running batches never do. The
    // individual runner awaits the check itself, after issuing its own reads (one Redis round trip for all).
    if (record.status === 'queued' && mode !== 'individual') {
      const paused = await this.pauser.waitIfPaused(record);
      if (paused) return paused;
    }
    try {
      if (mode === 'individual') {
        // The job's hint counts only when it names what the record does (it is a copy of the stored config).
        const samePause =
          prefetched?.pause?.provider === record.config.provider &&
          prefetched.pause.model === record.config.model;
        return await this.individual.run(record, provider, {
          pauseCheck: samePause ? undefined : this.pauser.waitIfPaused(record),
          versioned,
          prefetched,
          took,
        });
      }
      return await this.batchStep(record, provider);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.code === 'RATE_LIMIT' || err.code === 'CIRCUIT_OPEN') return this.pauser.pauseFor(record, err);
      if (err.retryable) throw err;
      return this.fail(record, err, provider);
    }
  }

  private async batchStep(record: BatchRecord, provider: LlmProvider): Promise<StepOutcome> {
    const id = record.batch_id;
    const key = submissionKey(record);
    let ref = record.provider_ref;
    if (record.cancel_requested && !isComplete(ref)) return this.cancelWaiting(record, provider, ref);
    // Parts still waiting for quota are created only while the provider/model is not paused (after a 429 or a
    // quota refusal); the parts already running are polled meanwhile.
    const mayCreate = !isComplete(ref) && (await this.pauser.waitIfPaused(record)) === null;
    if (mayCreate) {
      // Crash window: a part exists at the provider from the moment its create call succeeds there, but it is
      // known here only once onPartSubmitted's Redis write returns. So every attempt is counted in the record
      // BEFORE submitBatch; from the second on, the provider first looks for the part the ref is missing and
      // adopts it (recoverSubmittedParts). OpenAI (metadata batch_key/part_index) and Gemini (displayName
      // `<batch_id>-part-<n>`) are found by their tag. Anthropic Message Batches carry no client tag: there the
      // provider has us store an intent before each create (onPartIntent), and recovery adopts a listed batch only
      // once its results prove it is that part. A candidate still running cannot be proven yet: submitBatch then
      // returns the ref incomplete (pending_part kept) and the part waits like one held back for quota.
      const marked = await this.repo.markSubmitAttempt(id);
      if (!marked) return { kind: 'done', status: (await this.repo.get(id))?.status ?? 'missing' };
      // Only comparisons without a stored result: all of them at first, the unfinished ones after an expiry.
      const requests = (await this.unanswered(id)).map(toComparisonRequest);
      try {
        ref = await provider.submitBatch(requests, toOverrides(record.config), {
          batchKey: key,
          resumeFrom: ref,
          recoverSubmittedParts: (marked.submit_attempts ?? 1) > 1,
          admitPart: this.quota.admitter(record, key),
          onPartSubmitted: async (partial) => {
            await this.repo.saveProviderRef(id, partial);
            await this.indexParts(id, provider, partial);
          },
          onPartIntent: async (partial) => {
            await this.repo.saveProviderRef(id, partial);
          },
          ...this.notifyTarget(id, provider),
        });
      } catch (err) {
        // A 429 on batch create is the provider's queue (or request rate) limit: the part waits (the caller
        // pauses the model) and is created again later, a bounded number of times.
        if (err instanceof ProviderError && err.code === 'RATE_LIMIT') {
          const counted = await this.quota.countRefusal(record);
          if (counted && !this.quota.mayWait(counted))
            return this.fail(counted, this.quota.quotaExceeded(counted), provider);
        }
        throw err;
      }
      await this.repo.saveProviderRef(id, ref);
      await this.indexParts(id, provider, ref);
      if (ref.pending_part && ref.parts.length < ref.part_count) {
        // Like a part waiting for quota: the parts already running are polled; the next step looks again.
        this.logger.log({
          msg: 'waiting for an earlier attempt’s provider batch to end before adopting it or creating the part',
          batch_id: id,
          provider: record.config.provider,
          part_index: ref.pending_part.part_index,
        });
      }
    }
    if (!ref || ref.parts.length === 0) return this.waitForQuota(record, provider);
    if (record.status === 'queued') {
      const now = new Date();
      const patch = { provider_ref: ref, submitted_at: now.toISOString(), mode: 'batch' as const };
      const event = startedEvent({ ...record, ...patch }, now);
      if (await this.repo.transition(id, ['queued'], 'submitted', patch, [event])) {
        this.logger.log({
          msg: 'provider batch submitted',
          batch_id: id,
          provider: record.config.provider,
          model: record.config.model,
          comparisons: record.comparison_count,
          provider_batch_ids: ref.parts.map((p) => p.provider_batch_id),
          parts_waiting_for_quota: ref.part_count - ref.parts.length,
        });
      }
      this.signal.notify();
      return { kind: 'poll', hint: pollHint(record, patch.submitted_at) };
    }

    const status = await provider.getBatchStatus(ref);
    const refused = status.parts
      .filter((p) => p.state === 'failed' && p.error_code === 'QUOTA_EXCEEDED')
      .map((p) => p.part_index);
    if (refused.length > 0) {
      const updated = await this.quota.dropRefusedParts(record, key, ref, refused);
      if (!updated) return { kind: 'done', status: (await this.repo.get(id))?.status ?? 'missing' };
      if (!this.quota.mayWait(updated))
        return this.fail(updated, this.quota.quotaExceeded(updated), provider);
      return { kind: 'poll', hint: pollHint(record, record.submitted_at) };
    }
    await this.quota.releaseFinished(record, key, status);
    if (!status.results_ready) {
      if (record.cancel_requested) {
        await provider.cancelBatch(ref);
        if (provider.cancelsAtProvider === false) return this.cancelOnOurSide(record, ref);
      } else if (record.status === 'submitted' && status.state !== 'validating') {
        await this.repo.transition(id, ['submitted'], 'in_progress');
      }
      return { kind: 'poll', hint: pollHint(record, record.submitted_at) };
    }
    if (record.submitted_at) {
      const elapsed = Date.now() - Date.parse(record.submitted_at);
      this.turnaround.record(record.config.provider, record.comparison_count, elapsed);
    }
    const { finished, unfinished } = await this.collectFinished(record, provider, ref);
    await this.quota.releaseAll(record, key, ref);
    if (unfinished.length > 0 && this.expiry.mayResubmit(record)) {
      const next = await this.expiry.reopen(record, ref, finished, unfinished.length);
      return next ? this.batchStep(next, provider) : { kind: 'done', status: 'missing' };
    }
    await this.finisher.store(record, unfinished);
    if (record.cancel_requested) {
      // Parts that waited for quota when the cancel came were never created: their items end CANCELED.
      await this.finisher.failRemaining(record, { code: 'CANCELED', message: 'The batch was canceled' });
    }
    return this.finisher.finish(id, this.finalStatus(record, status, unfinished.length > 0));
  }

  /**
   * Reads the results chunk by chunk and stores each chunk's finished items (with their events) before the next
   * is read, so the worker never holds a whole batch's results: a 100,000-comparison batch collects in bounded
   * memory. Items the provider never reached (BATCH_EXPIRED) are returned unstored, for the caller to resubmit or
   * store. Storing is once per comparison, so a collection that breaks off mid-way is simply run again.
   */
  private async collectFinished(
    record: BatchRecord,
    provider: LlmProvider,
    ref: ProviderBatchRef,
  ): Promise<{ finished: number; unfinished: StoredResult[] }> {
    const requests = await this.requestsOf(record.batch_id, ref);
    const byId = new Map(requests.map((request) => [request.comparison_id, request]));
    const delivered = new Set<string>();
    const unfinished: StoredResult[] = [];
    const now = new Date();
    let finished = 0;
    await provider.collectBatchResultsInChunks(ref, async (chunk) => {
      const done: StoredResult[] = [];
      for (const stored of chunkToResults(record, byId, chunk, now)) {
        if (delivered.has(stored.comparison_id)) continue;
        delivered.add(stored.comparison_id);
        if (isUnfinished(stored)) unfinished.push(stored);
        else done.push(stored);
      }
      finished += done.length;
      await this.finisher.store(record, done);
    });
    const missing = requests.filter((request) => !delivered.has(request.comparison_id));
    if (missing.length > 0) {
      const noResult = outcomeToResults(record, missing, { responses: [], errors: [] }, now);
      finished += noResult.length;
      await this.finisher.store(record, noResult);
    }
    return { finished, unfinished };
  }

  /**
   * No part of the batch is at the provider: every one waits for quota. Ask again after QUOTA_WAIT_MS (parts of
   * other batches free it as they end), until the bound on refusals or the batch window is reached.
   */
  private async waitForQuota(record: BatchRecord, provider: LlmProvider): Promise<StepOutcome> {
    if (!this.quota.mayWait(record)) return this.fail(record, this.quota.quotaExceeded(record), provider);
    const paused = await this.pauser.waitIfPaused(record);
    return paused ?? { kind: 'paused', delayMs: this.env.QUOTA_WAIT_MS };
  }

  /**
   * A cancel while parts still wait for quota: nothing more is created; the parts at the provider are cancelled
   * and collected as usual (the ref is cut to them), the waiting items end CANCELED.
   */
  private async cancelWaiting(
    record: BatchRecord,
    provider: LlmProvider,
    ref: ProviderBatchRef | undefined,
  ): Promise<StepOutcome> {
    if (!ref || ref.parts.length === 0) {
      await this.quota.releaseAll(record, submissionKey(record), ref);
      await this.finisher.failRemaining(record, { code: 'CANCELED', message: 'The batch was canceled' });
      return this.finisher.finish(record.batch_id, 'canceled');
    }
    const cut = { ...ref, part_count: ref.parts.length };
    const updated = await this.repo.saveProviderRef(record.batch_id, cut);
    if (!updated)
      return { kind: 'done', status: (await this.repo.get(record.batch_id))?.status ?? 'missing' };
    await this.quota.releaseAll(record, submissionKey(record), ref);
    return this.batchStep(updated, provider);
  }

  /**
   * A provider that cannot stop a running batch (OpenRouter: no cancel endpoint) would keep this batch waiting up
   * to its 24-hour window for work nobody wants: it ends here as canceled, its provider batch left to finish (and
   * be billed) there unread.
   */
  private async cancelOnOurSide(record: BatchRecord, ref: ProviderBatchRef): Promise<StepOutcome> {
    this.logger.warn({
      msg: 'batch canceled on our side; the provider cannot cancel, its batch runs to its end unread',
      batch_id: record.batch_id,
      provider: record.config.provider,
      provider_batch_ids: ref.parts.map((p) => p.provider_batch_id),
    });
    await this.quota.releaseAll(record, submissionKey(record), ref);
    await this.finisher.failRemaining(record, { code: 'CANCELED', message: 'The batch was canceled' });
    return this.finisher.finish(record.batch_id, 'canceled');
  }

  /** The batch's comparisons that have no stored result yet, in input order. */
  private async unanswered(id: string): Promise<StoredComparison[]> {
    const [requests, stored] = await Promise.all([this.repo.getRequests(id), this.repo.storedIndexes(id)]);
    return stored.size === 0 ? requests : requests.filter((r) => !stored.has(r.index));
  }

  /** The comparisons a provider ref was submitted with (all of them, or the unfinished ones of a resubmission). */
  private async requestsOf(id: string, ref: ProviderBatchRef): Promise<StoredComparison[]> {
    const requests = await this.repo.getRequests(id);
    const inRef = new Set(ref.parts.flatMap((p) => p.comparison_ids));
    return inRef.size === requests.length ? requests : requests.filter((r) => inRef.has(r.comparison_id));
  }

  private finalStatus(record: BatchRecord, status: ProviderBatchStatus, anyExpired: boolean): BatchStatus {
    if (record.cancel_requested) return 'canceled';
    if (status.state === 'expired' || anyExpired) return 'expired';
    return 'completed';
  }

  /** Lets a webhook naming a provider batch id find this batch. */
  private async indexParts(id: string, provider: LlmProvider, ref: ProviderBatchRef): Promise<void> {
    const ids = ref.parts.map((p) => p.provider_batch_id);
    await this.wakeups.indexProviderBatches(id, provider.name, ids);
  }

  /**
   * The per-batch webhook, for providers that take one with the batch (OpenRouter callback_url, Gemini
   * webhookConfig), when this deployment receives webhooks (WEBHOOK_PUBLIC_BASE_URL and WEBHOOK_URL_SECRET).
   */
  private notifyTarget(id: string, provider: LlmProvider): { notify?: BatchNotifyTarget } {
    const base = this.env.WEBHOOK_PUBLIC_BASE_URL;
    const secret = this.env.WEBHOOK_URL_SECRET;
    if (!base || !secret || !PER_BATCH_WEBHOOK_PROVIDERS.has(provider.name)) return {};
    if (!webhookProviders(this.env).has(provider.name)) return {};
    return {
      notify: { url: batchWebhookUrl(base, secret, provider.name, id), metadata: { batch_key: id } },
    };
  }

  /**
   * Ends the batch as failed. Provider parts already recorded are cancelled first (best effort: the provider call
   * has its own retries), so a failed batch leaves nothing running and billing at the provider; a cancel that
   * still fails is logged with the part ids and counted, for someone to cancel by hand.
   */
  private async fail(
    record: BatchRecord,
    error: ProviderError,
    provider: LlmProvider | null,
  ): Promise<StepOutcome> {
    // Read again: the record a step started from predates the parts its own submission recorded.
    const ref = (await this.repo.get(record.batch_id))?.provider_ref ?? record.provider_ref;
    if (provider && ref && ref.parts.length > 0) {
      try {
        await provider.cancelBatch(ref);
      } catch (err) {
        this.metrics.recordCancelFailure(record.config.provider);
        this.logger.error({
          msg: 'provider batch parts could not be cancelled',
          batch_id: record.batch_id,
          provider: record.config.provider,
          provider_batch_ids: ref.parts.map((p) => p.provider_batch_id),
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    await this.quota.releaseAll(record, submissionKey(record), ref);
    await this.finisher.failRemaining(record, failureOf(error));
    return this.finisher.finish(record.batch_id, 'failed', { code: error.code, message: error.message });
  }
}
