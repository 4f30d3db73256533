import type { ComparisonRequest, ErrorCode, LlmConfigOverrides, ResolvedLlmConfig } from '#contracts';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import { BaseBatchProvider, type CreatedPart, type PartContext } from '../core/base-batch-provider.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { CustomIdMap } from '../core/custom-id.js';
import {
  INTENT_CLOCK_SKEW_MS,
  provesIntent,
  recoverIntendedPart,
  type IntentCandidate,
  type IntentRecovery,
  type PartIntent,
} from '../core/part-intent.js';
import type {
  ItemCost,
  ProviderBatchPart,
  ProviderBatchRef,
  SubmitBatchOptions,
} from '../core/llm-provider.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import { withProviderSettings } from '../core/provider-config.js';
import type { ProviderDeps } from '../core/provider-deps.js';
import { ProviderError } from '../core/provider-error.js';
import { OpenRouterHttp } from './openrouter.http.js';
import { toOpenRouterBatchBody, toOpenRouterChatBody } from './openrouter.request-mapper.js';
import {
  normaliseOpenRouterStatus,
  type OpenRouterBatchResult,
  parseOpenRouterBatchResult,
  parseOpenRouterCompletion,
} from './openrouter.response-parser.js';

/** A part served without the batch API: its outcome, computed at submission, travels in the ref. */
interface StoredItem {
  comparison_id: string;
  answer?: ItemAnswer;
  error?: { code: ErrorCode; message: string; retryable: boolean; status?: number };
}

interface BatchObject {
  status?: string;
  request_counts?: { total?: number; completed?: number; failed?: number };
  error?: { message?: string } | null;
}

/** One page of `GET /batches/{id}/results`. */
interface ResultsPage {
  data?: OpenRouterBatchResult[];
  has_more?: boolean;
  next_cursor?: string | null;
}

/** The results endpoint's largest page ("Maximum number of result items to return, from 1 through 1000"). */
const RESULTS_PAGE_SIZE = 1_000;
/** The list endpoint's largest page ("Maximum number of batches to return, from 1 through 100"). */
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 50;

interface BatchList {
  data?: Array<BatchObject & { id?: string }>;
  has_more?: boolean;
  last_id?: string | null;
}

export interface OpenRouterProviderOptions {
  /** Serve every part with individual calls (used for submissions while the batch API is switched off). */
  individualOnly?: boolean;
}

/**
 * OpenRouter over plain HTTP: chat completions in JSON object mode, and its inline batch API (API reference,
 * openrouter.ai/docs/api/api-reference/batch/*, and the Batch API quickstart, as stored late 2026).
 *
 * The batch API has list, create, get, results and delete, and no cancel (see cancelPart). A refused create fails
 * the part with OpenRouter's message: no error code meaning "this model cannot be batched" is documented, so none
 * switches a part to full-price individual calls. Finished items are read from the paginated results endpoint,
 * since the batch object's inline `results` is null for expired, failed and cancelled batches.
 *
 * Only with the batch API switched off in config is a part served by concurrent individual calls under the
 * configured cap, inside `createPart`. Its results (priced without the batch discount) are stored in the part's
 * `state`, so they are persisted with the ref by `onPartSubmitted` before anything else happens; status and
 * collection then read the ref without HTTP. Crash safety: a crash before that persist loses only the unpersisted
 * part, which `resumeFrom` re-runs (its calls are paid twice, but no item is lost or answered twice).
 *
 * Costs: OpenRouter's reported `usage.cost` is the billed figure and is used as the item's cost when present.
 */
export class OpenRouterProvider extends BaseBatchProvider {
  readonly name = 'openrouter' as const;
  /** No cancel endpoint: a cancelled batch stops on our side only and runs to its end at OpenRouter. */
  override readonly cancelsAtProvider = false;
  /** Batches carry no tag of ours (the create body has no metadata): parts are recovered from a stored intent. */
  protected override readonly recordsPartIntent = true;
  private httpCache?: OpenRouterHttp;

  constructor(
    deps: ProviderDeps,
    private readonly options: OpenRouterProviderOptions = {},
  ) {
    super(deps);
  }

  private get http(): OpenRouterHttp {
    const settings = this.settings;
    this.httpCache ??= new OpenRouterHttp(settings.apiKey ?? '', settings.baseUrl, settings.timeoutMs);
    return this.httpCache;
  }

  /** With the batch API off, submission still works: a sibling that serves every part individually does it. */
  override submitBatch(
    requests: ComparisonRequest[],
    overrides: LlmConfigOverrides,
    options: SubmitBatchOptions,
  ): Promise<ProviderBatchRef> {
    if (this.supportsBatch()) return super.submitBatch(requests, overrides, options);
    const config = withProviderSettings({ ...this.deps.config, batchProcessingEnabled: true }, this.name, {
      batchEnabled: true,
    });
    return new OpenRouterProvider({ ...this.deps, config }, { individualOnly: true }).submitBatch(
      requests,
      overrides,
      options,
    );
  }

  protected override serialisedSize(request: ComparisonRequest, config: ResolvedLlmConfig): number {
    const line = {
      custom_id: 'c'.repeat(64),
      body: toOpenRouterChatBody(buildComparisonPrompt(request, config), config),
    };
    return Buffer.byteLength(JSON.stringify(line), 'utf8') + 1;
  }

  protected async requestComparison(
    request: ComparisonRequest,
    config: ResolvedLlmConfig,
  ): Promise<ItemAnswer> {
    const body = toOpenRouterChatBody(buildComparisonPrompt(request, config), config);
    const completion = await this.call('comparison', () => this.http.post('/chat/completions', body));
    return parseOpenRouterCompletion(completion);
  }

  protected async createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart> {
    if (this.options.individualOnly) return this.servePartIndividually(requests, context);
    const body = toOpenRouterBatchBody(
      context.config.model,
      requests.map((request, index) => ({
        custom_id: context.customIds.customIds[index],
        body: toOpenRouterChatBody(buildComparisonPrompt(request, context.config), context.config),
      })),
      context.notify?.url,
    );
    // Any refusal (4xx) propagates with OpenRouter's message and fails the part.
    const created = (await this.call('batch.create', () => this.http.post('/batches', body), {
      idempotent: false,
    })) as { id?: string };
    if (!created.id) throw new ProviderError('INVALID_RESPONSE', 'OpenRouter batch create returned no id');
    return { provider_batch_id: created.id, state: { mode: 'batch' } };
  }

  private async servePartIndividually(
    requests: ComparisonRequest[],
    context: PartContext,
  ): Promise<CreatedPart> {
    const items = await mapWithConcurrency(requests, this.settings.concurrency, async (request) => {
      try {
        const answer = await this.requestComparison(request, context.config);
        // Served by an individual call: its price has no batch discount, whatever the ref it travels in.
        return {
          comparison_id: request.comparison_id,
          answer: Object.assign({}, answer, { cost: this.costOf(answer, context.config.model, false) }),
        };
      } catch (err) {
        const error =
          err instanceof ProviderError ? err : new ProviderError('EXTERNAL_SERVICE_ERROR', String(err));
        const stored = {
          code: error.code,
          message: error.message,
          retryable: error.retryable,
          status: error.status,
        };
        return { comparison_id: request.comparison_id, error: stored };
      }
    });
    return {
      provider_batch_id: `individual-${context.batchKey}-part-${context.partIndex}`,
      state: { mode: 'individual', items } as unknown as Record<string, unknown>,
    };
  }

  protected async fetchPartStatus(part: ProviderBatchPart): Promise<PartStatus> {
    const stored = storedItems(part);
    if (stored) {
      const failed = stored.filter((item) => item.error).length;
      return {
        state: 'ended',
        raw_status: 'individual',
        counts: { succeeded: stored.length - failed, failed },
      };
    }
    const batch = await this.getBatch(part);
    const state = normaliseOpenRouterStatus(batch.status);
    const counts = batch.request_counts ?? {};
    const settled = (counts.completed ?? 0) + (counts.failed ?? 0);
    const rest = Math.max(0, part.comparison_ids.length - settled);
    return {
      state,
      raw_status: String(batch.status ?? 'unknown'),
      counts: {
        succeeded: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        ...(state === 'expired' ? { expired: rest } : state === 'canceled' ? { canceled: rest } : {}),
      },
      ...(state === 'failed'
        ? {
            error: new ProviderError(
              'EXTERNAL_SERVICE_ERROR',
              `OpenRouter batch failed: ${batch.error?.message ?? ''}`,
              { provider: this.name },
            ),
          }
        : {}),
    };
  }

  /** Stored individual outcomes, or the results endpoint read page by page (each page yielded as it arrives). */
  protected async *streamPartResults(
    part: ProviderBatchPart,
    _ref: ProviderBatchRef,
    status: PartStatus,
  ): AsyncIterable<PartItemResult> {
    const stored = storedItems(part);
    if (stored) {
      for (const item of stored) {
        yield item.answer
          ? { comparison_id: item.comparison_id, answer: item.answer }
          : {
              comparison_id: item.comparison_id,
              error: new ProviderError(item.error!.code, item.error!.message, {
                provider: this.name,
                retryable: item.error!.retryable,
                status: item.error!.status,
              }),
            };
      }
      return;
    }
    const ids = new CustomIdMap(part.comparison_ids);
    // An expired or cancelled batch may have finished some items (on the results endpoint only); one that
    // settled none has nothing to read.
    const settled = (status.counts?.succeeded ?? 0) + (status.counts?.failed ?? 0);
    if (status.state !== 'ended' && settled === 0) return;
    for await (const result of this.readResults(part.provider_batch_id, part.comparison_ids.length)) {
      const comparisonId = result.custom_id === undefined ? undefined : ids.comparisonIdOf(result.custom_id);
      if (comparisonId === undefined) continue;
      const parsed = parseOpenRouterBatchResult(result);
      yield parsed instanceof ProviderError
        ? { comparison_id: comparisonId, error: parsed }
        : { comparison_id: comparisonId, answer: parsed };
    }
  }

  /**
   * OpenRouter has no cancel endpoint (list, create, get, results and delete only), and `DELETE /batches/{id}`
   * answers 409 while a batch is in progress ("Deletes a batch in a terminal status ... Batches still in progress
   * return 409"; openrouter.ai/docs/api/api-reference/batch/delete-a-batch). So a cancel stops our side only
   * (cancelsAtProvider = false: the worker finishes the batch as canceled at once) and the provider batch is left
   * to run to its end, where it is billed; nothing is sent, so nothing can fail.
   */
  protected cancelPart(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * `usage.cost` when OpenRouter reported it (the billed figure; a batch item's includes the batch price), with the
   * table's full price beside it as the individual cost; without it, the price table.
   */
  protected override costOf(item: ItemAnswer, model: string, batch: boolean): ItemCost {
    const table = super.costOf(item, model, batch);
    const billed = item.billed_cost_usd;
    if (billed === undefined) return table;
    return { cost_usd: billed, individual_cost_usd: batch ? table.individual_cost_usd : billed };
  }

  /**
   * Crash recovery from the intent stored before a create (part-intent.ts). `GET /batches` lists newest first,
   * filters `created_after` and pages by `after` = the previous `last_id`
   * (openrouter.ai/docs/api/api-reference/batch/list-batches); candidates have the intent's request count, and a
   * finished one is ours only if its result rows carry exactly the part's custom ids. An expired candidate has
   * rows for its finished items only, so it is never proven: the part is created again (its finished items are
   * paid twice; nothing is lost).
   */
  protected override async findIntendedPart(intent: PartIntent, ids: CustomIdMap): Promise<IntentRecovery> {
    const candidates = await this.listCandidates(intent);
    return recoverIntendedPart(
      candidates,
      async (candidate) => {
        const seen: string[] = [];
        for await (const row of this.readResults(candidate.provider_batch_id, intent.request_count))
          seen.push(row.custom_id ?? '');
        return provesIntent(intent, ids, seen);
      },
      (candidate) => ({
        provider_batch_id: candidate.provider_batch_id,
        state: { mode: 'batch', recovered: true },
      }),
    );
  }

  private async listCandidates(intent: PartIntent): Promise<IntentCandidate[]> {
    const createdAfter = Math.floor((Date.parse(intent.created_after) - INTENT_CLOCK_SKEW_MS) / 1000) - 1;
    const candidates: IntentCandidate[] = [];
    let after: string | undefined;
    for (let page = 0; page < LIST_MAX_PAGES; page += 1) {
      const query = `?limit=${LIST_PAGE_SIZE}&created_after=${createdAfter}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const listed = (await this.call('batch.list', () => this.http.get(`/batches${query}`))) as BatchList;
      for (const batch of listed.data ?? []) {
        if (!batch.id || batch.request_counts?.total !== intent.request_count) continue;
        const state = normaliseOpenRouterStatus(batch.status);
        candidates.push({
          provider_batch_id: batch.id,
          ended: ['ended', 'failed', 'expired', 'canceled'].includes(state),
          succeeded: batch.request_counts?.completed ?? 0,
        });
      }
      after = listed.last_id ?? undefined;
      if (!listed.has_more || !after) return candidates;
    }
    return candidates;
  }

  /**
   * Every row of a finished batch from `GET /batches/{id}/results`, following `next_cursor` in pages of up to
   * 1,000 (openrouter.ai/docs/api/api-reference/batch/get-batch-results: "Pass the previous page's `next_cursor`
   * as `cursor` to read the next page").
   */
  private async *readResults(batchId: string, requestCount: number): AsyncGenerator<OpenRouterBatchResult> {
    const path = `/batches/${encodeURIComponent(batchId)}/results`;
    const maxPages = Math.ceil(requestCount / RESULTS_PAGE_SIZE) + 1;
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const query = `?limit=${RESULTS_PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const body = (await this.call('batch.results', () => this.http.get(`${path}${query}`))) as ResultsPage;
      yield* body.data ?? [];
      const next = body.has_more ? (body.next_cursor ?? undefined) : undefined;
      if (!next || next === cursor) return;
      cursor = next;
    }
    throw new ProviderError(
      'INVALID_RESPONSE',
      `OpenRouter results of ${batchId} did not end after ${maxPages} pages`,
      { provider: this.name, retryable: true },
    );
  }

  private getBatch(part: ProviderBatchPart): Promise<BatchObject> {
    return this.call('batch.status', () =>
      this.http.get(`/batches/${encodeURIComponent(part.provider_batch_id)}`),
    ) as Promise<BatchObject>;
  }
}

function storedItems(part: ProviderBatchPart): StoredItem[] | undefined {
  return part.state?.mode === 'individual' ? (part.state.items as StoredItem[]) : undefined;
}
