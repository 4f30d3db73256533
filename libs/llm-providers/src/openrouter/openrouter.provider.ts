import type { ComparisonRequest, ErrorCode, LlmConfigOverrides, ResolvedLlmConfig } from '#contracts';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import { BaseBatchProvider, type CreatedPart, type PartContext } from '../core/base-batch-provider.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { CustomIdMap } from '../core/custom-id.js';
import type { ProviderBatchPart, ProviderBatchRef, SubmitBatchOptions } from '../core/llm-provider.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import { withProviderSettings } from '../core/provider-config.js';
import type { ProviderDeps } from '../core/provider-deps.js';
import { ProviderError } from '../core/provider-error.js';
import { isBatchUnsupported, OpenRouterHttp } from './openrouter.http.js';
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
  results?: OpenRouterBatchResult[] | null;
  error?: { message?: string } | null;
}

export interface OpenRouterProviderOptions {
  /** Serve every part with individual calls (used for submissions while the batch API is switched off). */
  individualOnly?: boolean;
}

/**
 * OpenRouter over plain HTTP: chat completions in JSON object mode, and its inline batch API.
 *
 * Without the batch API (switched off in config, or refused by OpenRouter for the model) a part is served by
 * concurrent individual calls under the configured cap, inside `createPart`. Its results are stored in the part's
 * `state`, so they are persisted with the ref by `onPartSubmitted` before anything else happens; status and
 * collection then read the ref without HTTP. Crash safety: a crash before that persist loses only the unpersisted
 * part, which `resumeFrom` re-runs (its calls are paid twice, but no item is lost or answered twice).
 */
export class OpenRouterProvider extends BaseBatchProvider {
  readonly name = 'openrouter' as const;
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
    if (!this.options.individualOnly) {
      const body = toOpenRouterBatchBody(
        context.config.model,
        requests.map((request, index) => ({
          custom_id: context.customIds.customIds[index],
          body: toOpenRouterChatBody(buildComparisonPrompt(request, context.config), context.config),
        })),
        context.notify?.url,
      );
      try {
        const created = (await this.call('batch.create', () => this.http.post('/batches', body), {
          idempotent: false,
        })) as {
          id?: string;
        };
        if (!created.id)
          throw new ProviderError('INVALID_RESPONSE', 'OpenRouter batch create returned no id');
        return { provider_batch_id: created.id, state: { mode: 'batch' } };
      } catch (err) {
        if (!isBatchUnsupported(err)) throw err;
      }
    }
    return this.servePartIndividually(requests, context);
  }

  private async servePartIndividually(
    requests: ComparisonRequest[],
    context: PartContext,
  ): Promise<CreatedPart> {
    const items = await mapWithConcurrency(requests, this.settings.concurrency, async (request) => {
      try {
        return {
          comparison_id: request.comparison_id,
          answer: await this.requestComparison(request, context.config),
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

  /** OpenRouter returns a part's results inside its batch object (a part is at most 5,000 requests). */
  protected async *streamPartResults(part: ProviderBatchPart): AsyncIterable<PartItemResult> {
    yield* await this.partResults(part);
  }

  private async partResults(part: ProviderBatchPart): Promise<PartItemResult[]> {
    const stored = storedItems(part);
    if (stored) {
      return stored.map((item) =>
        item.answer
          ? { comparison_id: item.comparison_id, answer: item.answer }
          : {
              comparison_id: item.comparison_id,
              error: new ProviderError(item.error!.code, item.error!.message, {
                provider: this.name,
                retryable: item.error!.retryable,
                status: item.error!.status,
              }),
            },
      );
    }
    const ids = new CustomIdMap(part.comparison_ids);
    const results = (await this.getBatch(part)).results ?? [];
    return results.flatMap((result) => {
      const comparisonId = result.custom_id === undefined ? undefined : ids.comparisonIdOf(result.custom_id);
      if (comparisonId === undefined) return [];
      const parsed = parseOpenRouterBatchResult(result);
      return [
        parsed instanceof ProviderError
          ? { comparison_id: comparisonId, error: parsed }
          : { comparison_id: comparisonId, answer: parsed },
      ];
    });
  }

  protected async cancelPart(part: ProviderBatchPart): Promise<void> {
    if (storedItems(part)) return;
    await this.call('batch.cancel', () =>
      this.http.post(`/batches/${encodeURIComponent(part.provider_batch_id)}/cancel`, {}),
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
