import type { ComparisonRequest, LlmConfigOverrides, ProviderName, ResolvedLlmConfig } from '#contracts';
import {
  type ItemAnswer,
  type PartItemResult,
  type PartStatus,
  isFinished,
  mergePartStatuses,
  missingItemError,
} from './batch-aggregation.js';
import { recoveryWindowStart, type CreatedPart, type PartContext, type PartLookup } from './batch-part.js';
import { planBatchParts } from './chunking.js';
import { mapWithConcurrency } from './concurrency.js';
import { resolveLlmConfig } from './config-resolver.js';
import { CustomIdMap } from './custom-id.js';
import { normalizeProviderError } from './error-normalizer.js';
import type {
  BatchComparisonOutcome,
  BatchLimits,
  CollectOptions,
  ComparisonItemError,
  ComparisonResponse,
  LlmProvider,
  ProviderBatchPart,
  ProviderBatchRef,
  ProviderBatchStatus,
  SubmitBatchOptions,
} from './llm-provider.js';
import { costOf, type CacheWriteTtl } from './pricing.js';
import { enqueuedTokenBudgetOf, PROVIDER_ENV_PREFIX, type ProviderSettings } from './provider-config.js';
import { estimateRequestTokens } from './token-estimate.js';
import type { ProviderDeps } from './provider-deps.js';
import { ProviderError } from './provider-error.js';
import { provesNotProcessed, realSleep, type CallOptions, type Sleep } from './resilience/retry-policy.js';
import { assertValidRequests, assertValidRef, assertResumable } from './request-validation.js';
import { newPartIntent, type IntentRecovery, type PartIntent } from './part-intent.js';

export type { CreatedPart, PartContext, PartLookup } from './batch-part.js';

/** Results handed to the caller at a time by collectBatchResultsInChunks, unless it asks otherwise. */
export const DEFAULT_COLLECT_CHUNK = 500;

/**
 * The provider-independent half of LlmProvider: validation, config resolution, chunking into parts, resumable
 * submission, status aggregation, input-order merging, costing, and the capped individual-call fallback.
 * A provider implements only its wire steps below and wraps each HTTP request in `this.call(operation, fn)`.
 */
export abstract class BaseBatchProvider implements LlmProvider {
  abstract readonly name: ProviderName;
  readonly cancelsAtProvider: boolean = true;
  protected readonly clock: () => number;
  protected readonly sleep: Sleep;
  /**
   * Statuses of refs whose parts had all finished when read (see partStatuses), with the parts they were read
   * for (a ref changed in place since is read again); gone with the ref.
   */
  private readonly endedStatuses = new WeakMap<ProviderBatchRef, { parts: string; statuses: PartStatus[] }>();

  constructor(protected readonly deps: ProviderDeps) {
    this.clock = deps.clock ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
  }

  /** One individual (non-batch) judgement. Parse the answer with parseComparisonAnswer. */
  protected abstract requestComparison(
    request: ComparisonRequest,
    config: ResolvedLlmConfig,
  ): Promise<ItemAnswer>;
  /** Creates one provider batch for `requests` (already within limits). */
  protected abstract createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart>;
  protected abstract fetchPartStatus(part: ProviderBatchPart, ref: ProviderBatchRef): Promise<PartStatus>;
  /**
   * Results of a finished part, in any order, yielded as they are read (a results file line by line, never the
   * whole file at once); unknown ids are ignored, repeated ones after the first too, and missing ones become
   * errors. A download that breaks mid-way throws; collecting again re-reads the part from its start.
   */
  protected abstract streamPartResults(
    part: ProviderBatchPart,
    ref: ProviderBatchRef,
    status: PartStatus,
  ): AsyncIterable<PartItemResult>;
  /** Called only for parts that have not finished. */
  protected abstract cancelPart(part: ProviderBatchPart, ref: ProviderBatchRef): Promise<void>;

  /**
   * Crash recovery: the provider batch an earlier, interrupted submission created for this part (found by the
   * tag createPart puts on it), or null when there is none. Only batches that can still deliver results count.
   * The default finds nothing, for APIs whose batches carry no client tag (which ones: see
   * SubmitBatchOptions.recoverSubmittedParts). Every request goes through `this.call`, like the other wire steps.
   */
  protected findSubmittedPart(_lookup: PartLookup): Promise<CreatedPart | null> {
    return Promise.resolve(null);
  }

  /**
   * True for APIs whose batches carry no tag of ours (Anthropic, OpenRouter): before each part is created, a
   * PartIntent is stored in the ref (through onPartSubmitted) and a later attempt recovers through
   * findIntendedPart. See SubmitBatchOptions.recoverSubmittedParts.
   */
  protected readonly recordsPartIntent: boolean = false;

  /** Crash recovery from a stored intent (see part-intent.ts); only called when recordsPartIntent is true. */
  protected findIntendedPart(_intent: PartIntent, _ids: CustomIdMap): Promise<IntentRecovery> {
    return Promise.resolve({ kind: 'none' });
  }

  /** Bytes one request adds to a provider batch; override with the real serialised line when cheap to build. */
  protected serialisedSize(request: ComparisonRequest, config: ResolvedLlmConfig): number {
    const text =
      config.system_prompt + request.user_prompt + request.essay_a + request.essay_b + request.comparison_id;
    return Buffer.byteLength(text, 'utf8') + 1_024;
  }

  protected get settings(): ProviderSettings {
    return this.deps.config.providers[this.name];
  }

  get limits(): BatchLimits {
    return this.settings.limits;
  }

  isConfigured(): boolean {
    return Boolean(this.settings.apiKey);
  }

  supportsBatch(): boolean {
    return this.deps.config.batchProcessingEnabled && this.settings.batchEnabled;
  }

  /** Runs one HTTP request through retry, breaker and call counting; batch creation passes `idempotent: false`. */
  protected call<T>(operation: string, fn: () => Promise<T>, options?: CallOptions): Promise<T> {
    return this.deps.caller.call(this.name, operation, fn, options);
  }

  /** For per-item parsing inside results: a parse failure becomes that item's error, not the whole batch's. */
  protected itemResult(comparisonId: string, parse: () => ItemAnswer): PartItemResult {
    try {
      return { comparison_id: comparisonId, answer: parse() };
    } catch (err) {
      return { comparison_id: comparisonId, error: normalizeProviderError(err, this.name) };
    }
  }

  async generateComparison(
    request: ComparisonRequest,
    overrides: LlmConfigOverrides,
  ): Promise<ComparisonResponse> {
    this.ensureConfigured();
    assertValidRequests([request]);
    const config = this.resolve(overrides);
    const startedAt = this.clock();
    const item = await this.requestComparison(request, config);
    return this.toResponse(request.comparison_id, item, config.model, false, startedAt);
  }

  async generateBatchComparison(
    requests: ComparisonRequest[],
    overrides: LlmConfigOverrides,
  ): Promise<BatchComparisonOutcome> {
    this.ensureConfigured();
    if (requests.length === 0) return { responses: [], errors: [] };
    assertValidRequests(requests);
    if (!this.supportsBatch()) return this.generateIndividually(requests, overrides);
    const batchKey = `adhoc-${this.clock().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const ref = await this.submitBatch(requests, overrides, { batchKey });
    while (!(await this.getBatchStatus(ref)).results_ready) {
      await this.sleep(this.settings.pollIntervalMs);
    }
    return this.collectBatchResults(ref);
  }

  async submitBatch(
    requests: ComparisonRequest[],
    overrides: LlmConfigOverrides,
    options: SubmitBatchOptions,
  ): Promise<ProviderBatchRef> {
    this.ensureConfigured();
    if (!this.supportsBatch()) {
      throw new ProviderError(
        'INVALID_REQUEST',
        `${this.name}: batch API is disabled; use generateBatchComparison`,
        {
          provider: this.name,
        },
      );
    }
    if (requests.length === 0)
      throw new ProviderError('INVALID_REQUEST', 'A batch needs at least one comparison');
    assertValidRequests(requests);
    const config = this.resolve(overrides);
    const budget = enqueuedTokenBudgetOf(this.settings, config.model);
    const planned = planBatchParts(
      requests,
      this.limits,
      (request) => this.serialisedSize(request, config),
      budget === undefined
        ? undefined
        : {
            maxTokensPerPart: budget,
            estimate: (request) => estimateRequestTokens(request, config),
            variable: `${PROVIDER_ENV_PREFIX[this.name]}_ENQUEUED_TOKEN_BUDGET`,
          },
    );
    const ref: ProviderBatchRef = options.resumeFrom
      ? structuredClone(options.resumeFrom)
      : {
          provider: this.name,
          model: config.model,
          batch_key: options.batchKey,
          part_count: planned.length,
          parts: [],
          submitted_at: new Date(this.clock()).toISOString(),
        };
    if (options.resumeFrom) assertResumable(ref, planned, this.name, config.model, options.batchKey);

    // Parts are created in order and each is recorded before the next is created, so only the first part
    // missing from the ref can exist at the provider unrecorded: it alone is looked for.
    let recovering = options.recoverSubmittedParts === true || options.resumeFrom !== undefined;
    const notBefore = recoveryWindowStart(options.resumeFrom, this.clock());
    for (const part of planned) {
      if (ref.parts.some((p) => p.part_index === part.part_index)) continue;
      const comparisonIds = part.requests.map((r) => r.comparison_id);
      const partIndex = part.part_index;
      const customIds = new CustomIdMap(comparisonIds);
      const lookup: PartLookup = { batchKey: options.batchKey, partIndex, model: config.model, notBefore };
      // Quota: a part that does not fit in the budget now waits; so do the parts after it (order is kept).
      const admission = {
        part_index: partIndex,
        estimated_tokens: part.estimated_tokens,
        budget: budget ?? 0,
      };
      if (budget !== undefined && options.admitPart && !(await options.admitPart(admission))) break;
      let found = recovering ? await this.findSubmittedPart(lookup) : null;
      if (this.recordsPartIntent) {
        const intent = ref.pending_part?.part_index === partIndex ? ref.pending_part : undefined;
        if (intent && recovering) {
          const recovery = await this.findIntendedPart(intent, customIds);
          // A batch that may be ours is still running: come back later (the ref stays incomplete).
          if (recovery.kind === 'wait') return ref;
          if (recovery.kind === 'adopt') found = recovery.part;
        }
        if (!found) {
          ref.pending_part = newPartIntent(partIndex, customIds, this.clock(), intent);
          await options.onPartIntent?.(structuredClone(ref));
        }
      }
      recovering = false;
      const created =
        found ??
        (await this.createPartOnce(part.requests, lookup, {
          batchKey: options.batchKey,
          partIndex,
          partCount: planned.length,
          customIds,
          config,
          ...(options.notify ? { notify: options.notify } : {}),
        }));
      delete ref.pending_part;
      ref.parts.push({
        part_index: part.part_index,
        comparison_ids: comparisonIds,
        ...(budget !== undefined ? { estimated_tokens: part.estimated_tokens } : {}),
        ...created,
      });
      ref.parts.sort((a, b) => a.part_index - b.part_index);
      await options.onPartSubmitted?.(structuredClone(ref));
    }
    return ref;
  }

  async getBatchStatus(ref: ProviderBatchRef): Promise<ProviderBatchStatus> {
    this.ensureConfigured();
    assertValidRef(ref, this.name);
    return mergePartStatuses(ref, await this.partStatuses(ref));
  }

  async collectBatchResults(ref: ProviderBatchRef): Promise<BatchComparisonOutcome> {
    const responses: ComparisonResponse[] = [];
    const errors: ComparisonItemError[] = [];
    await this.collectBatchResultsInChunks(ref, (chunk) => {
      responses.push(...chunk.responses);
      errors.push(...chunk.errors);
      return Promise.resolve();
    });
    const position = new Map<string, number>();
    for (const part of ref.parts) for (const id of part.comparison_ids) position.set(id, position.size);
    const byInput = (a: { comparison_id: string }, b: { comparison_id: string }) =>
      position.get(a.comparison_id)! - position.get(b.comparison_id)!;
    return { responses: responses.sort(byInput), errors: errors.sort(byInput) };
  }

  async collectBatchResultsInChunks(
    ref: ProviderBatchRef,
    onChunk: (chunk: BatchComparisonOutcome) => Promise<void>,
    options: CollectOptions = {},
  ): Promise<void> {
    this.ensureConfigured();
    assertValidRef(ref, this.name);
    const chunkSize = options.chunkSize ?? DEFAULT_COLLECT_CHUNK;
    const statuses = await this.partStatuses(ref);
    if (!mergePartStatuses(ref, statuses).results_ready) {
      throw new ProviderError('CONFLICT', `${this.name}: batch ${ref.batch_key} has not finished`, {
        provider: this.name,
        retryable: true,
      });
    }
    const submittedAt = Date.parse(ref.submitted_at);
    let chunk: BatchComparisonOutcome = { responses: [], errors: [] };
    const flush = async (atLeast: number) => {
      if (chunk.responses.length + chunk.errors.length < Math.max(1, atLeast)) return;
      const full = chunk;
      chunk = { responses: [], errors: [] };
      await onChunk(full);
    };
    const order = ref.parts.map((part, i) => ({ part, status: statuses[i] }));
    order.sort((a, b) => a.part.part_index - b.part.part_index);
    for (const { part, status } of order) {
      const expected = new Set(part.comparison_ids);
      const seen = new Set<string>();
      if (status.state !== 'failed') {
        for await (const item of this.streamPartResults(part, ref, status)) {
          if (!expected.has(item.comparison_id) || seen.has(item.comparison_id)) continue;
          seen.add(item.comparison_id);
          if ('answer' in item) {
            chunk.responses.push(
              this.toResponse(item.comparison_id, item.answer, ref.model, true, submittedAt),
            );
          } else chunk.errors.push({ comparison_id: item.comparison_id, error: item.error });
          await flush(chunkSize);
        }
      }
      for (const comparisonId of part.comparison_ids) {
        if (seen.has(comparisonId)) continue;
        chunk.errors.push({ comparison_id: comparisonId, error: missingItemError(ref, part, status) });
        await flush(chunkSize);
      }
    }
    await flush(1);
  }

  async cancelBatch(ref: ProviderBatchRef): Promise<void> {
    this.ensureConfigured();
    assertValidRef(ref, this.name);
    const statuses = await this.partStatuses(ref);
    for (const [i, part] of ref.parts.entries()) {
      if (!isFinished(statuses[i].state) && statuses[i].state !== 'canceling')
        await this.cancelPart(part, ref);
    }
  }

  /**
   * createPart with retries that cannot duplicate the batch. Its create request is not retried in place, so an
   * ambiguous failure (timeout, 5xx, reset: the batch may exist) lands here; after the retry policy's backoff the
   * part is looked up by its tag and adopted if it was created, and only otherwise created again. Providers
   * without a lookup (findSubmittedPart returns null: Anthropic, OpenRouter) simply create again, as before.
   */
  private async createPartOnce(
    requests: ComparisonRequest[],
    lookup: PartLookup,
    context: PartContext,
  ): Promise<CreatedPart> {
    for (let retry = 1; ; retry += 1) {
      try {
        return await this.createPart(requests, context);
      } catch (err) {
        const error = normalizeProviderError(err, this.name);
        if (provesNotProcessed(error) || !(await this.deps.caller.backoff(retry, error))) throw error;
        const found = await this.findSubmittedPart(lookup);
        if (found) return found;
      }
    }
  }

  /**
   * Every part's status, read now, or as read last for this very ref once all of them had finished: a finished
   * provider batch never changes (completed, expired, failed and cancelled are final), so the collect that follows
   * the status read that found it finished reads nothing again (one status request per part less, each an HTTP
   * round trip to the provider).
   */
  private async partStatuses(ref: ProviderBatchRef): Promise<PartStatus[]> {
    const parts = ref.parts.map((part) => part.provider_batch_id).join('\n');
    const ended = this.endedStatuses.get(ref);
    if (ended?.parts === parts) return ended.statuses;
    const statuses = await mapWithConcurrency(ref.parts, this.settings.concurrency, (part) =>
      this.fetchPartStatus(part, ref),
    );
    if (mergePartStatuses(ref, statuses).results_ready) this.endedStatuses.set(ref, { parts, statuses });
    return statuses;
  }

  private async generateIndividually(
    requests: ComparisonRequest[],
    overrides: LlmConfigOverrides,
  ): Promise<BatchComparisonOutcome> {
    const outcomes = await mapWithConcurrency(requests, this.settings.concurrency, async (request) => {
      try {
        return { response: await this.generateComparison(request, overrides) };
      } catch (err) {
        return {
          error: { comparison_id: request.comparison_id, error: normalizeProviderError(err, this.name) },
        };
      }
    });
    return {
      responses: outcomes.flatMap((o) => (o.response ? [o.response] : [])),
      errors: outcomes.flatMap((o) => (o.error ? [o.error] : [])),
    };
  }

  private resolve(overrides: LlmConfigOverrides): ResolvedLlmConfig {
    if (overrides.provider_override && overrides.provider_override !== this.name) {
      throw new ProviderError(
        'INVALID_REQUEST',
        `Config for ${overrides.provider_override} sent to ${this.name}`,
        {
          provider: this.name,
        },
      );
    }
    return resolveLlmConfig({ ...overrides, provider_override: this.name }, this.deps.config, this.clock());
  }

  private ensureConfigured(): void {
    if (!this.isConfigured()) {
      throw new ProviderError('PROVIDER_NOT_CONFIGURED', `${this.name} is not configured`, {
        provider: this.name,
      });
    }
  }

  /**
   * The requested model is the item's identity (`model`); the name the provider reports (a dated snapshot, a
   * Gemini modelVersion) is kept beside it as `served_model` and never compared. The price is the requested
   * model's: a snapshot is billed as its model.
   */
  private toResponse(
    comparisonId: string,
    item: ItemAnswer,
    requestedModel: string,
    batch: boolean,
    startedAt: number,
  ): ComparisonResponse {
    return {
      comparison_id: comparisonId,
      answer: item.answer,
      provider: this.name,
      model: requestedModel,
      served_model: item.model ?? requestedModel,
      usage: item.usage,
      cost: item.cost ?? this.costOf(item, requestedModel, batch),
      response_time_ms: Math.max(0, this.clock() - startedAt),
    };
  }

  /** Cost from the price table; providers whose cache writes live longer in batches override cacheWriteTtl. */
  protected costOf(item: ItemAnswer, model: string, batch: boolean) {
    return costOf(
      item.usage,
      model,
      { batch, cacheWriteTtl: this.cacheWriteTtl(batch) },
      this.deps.config.pricing,
    );
  }

  /** TTL of the prompt-cache entries this provider's requests write (Anthropic batches: 1 hour). */
  protected cacheWriteTtl(_batch: boolean): CacheWriteTtl {
    return '5m';
  }
}
