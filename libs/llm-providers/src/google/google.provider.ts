import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import type { GoogleGenAI } from '@google/genai';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import {
  BaseBatchProvider,
  type CreatedPart,
  type PartContext,
  type PartLookup,
} from '../core/base-batch-provider.js';
import type { ProviderBatchPart } from '../core/llm-provider.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import type { ProviderDeps } from '../core/provider-deps.js';
import { GoogleBatchJobs } from './google.batch-jobs.js';
import { createGoogleClient } from './google.client.js';
import { googleCall } from './google.errors.js';
import { GoogleRawHttp } from './google.raw-http.js';
import { toGeminiSdkRequest, toGeminiWireRequest } from './google.request-mapper.js';
import { parseGeminiResponse } from './google.response-parser.js';

export interface GoogleProviderOptions {
  /**
   * A part whose serialised requests reach this size is uploaded as a JSONL file instead of being sent inline.
   * The API caps inline batches at 20 MB in total; the default keeps a margin under it.
   */
  inlineMaxBytes?: number;
}

export const GOOGLE_INLINE_MAX_BYTES = 19_000_000;

/** Gemini through `@google/genai`: generateContent for single judgements, batch mode for batches. */
export class GoogleProvider extends BaseBatchProvider {
  readonly name = 'google' as const;
  private readonly inlineMaxBytes: number;
  private clientCache?: { ai: GoogleGenAI; jobs: GoogleBatchJobs };

  constructor(deps: ProviderDeps, options: GoogleProviderOptions = {}) {
    super(deps);
    this.inlineMaxBytes = options.inlineMaxBytes ?? GOOGLE_INLINE_MAX_BYTES;
  }

  /** Built on first use, so a provider without a key can be constructed (it reports itself unconfigured). */
  private get client(): { ai: GoogleGenAI; jobs: GoogleBatchJobs } {
    if (!this.clientCache) {
      const settings = this.settings;
      const ai = createGoogleClient(settings);
      const raw = new GoogleRawHttp(settings.apiKey ?? '', settings.baseUrl, settings.timeoutMs);
      this.clientCache = { ai, jobs: new GoogleBatchJobs(ai, raw, this.deps.caller) };
    }
    return this.clientCache;
  }

  protected override serialisedSize(request: ComparisonRequest, config: ResolvedLlmConfig): number {
    const line = {
      key: 'k'.repeat(64),
      request: toGeminiWireRequest(buildComparisonPrompt(request, config), config),
    };
    return Buffer.byteLength(JSON.stringify(line), 'utf8') + 1;
  }

  protected async requestComparison(
    request: ComparisonRequest,
    config: ResolvedLlmConfig,
  ): Promise<ItemAnswer> {
    const { contents, config: generationConfig } = toGeminiSdkRequest(
      buildComparisonPrompt(request, config),
      config,
    );
    const response = await this.call('comparison', () =>
      googleCall(() =>
        this.client.ai.models.generateContent({ model: config.model, contents, config: generationConfig }),
      ),
    );
    const parsed = parseGeminiResponse(response);
    return { ...parsed, ...(response.modelVersion ? { model: response.modelVersion } : {}) };
  }

  protected async createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart> {
    const items = requests.map((request, index) => {
      const prompt = buildComparisonPrompt(request, context.config);
      return {
        key: context.customIds.customIds[index],
        sdk: toGeminiSdkRequest(prompt, context.config),
        wire: toGeminiWireRequest(prompt, context.config),
      };
    });
    const displayName = partDisplayName(context.batchKey, context.partIndex);
    const created = await this.client.jobs.create(
      context.config.model,
      displayName,
      items,
      this.inlineMaxBytes,
      context.notify,
    );
    return { provider_batch_id: created.name, state: { ...created.state } };
  }

  /** Jobs are created with displayName `<batch key>-part-<n>` (see createPart): the one found is adopted. */
  protected override async findSubmittedPart(lookup: PartLookup): Promise<CreatedPart | null> {
    const name = await this.client.jobs.findByDisplayName(
      partDisplayName(lookup.batchKey, lookup.partIndex),
      lookup.notBefore,
    );
    return name ? { provider_batch_id: name, state: { recovered: true } } : null;
  }

  protected fetchPartStatus(part: ProviderBatchPart): Promise<PartStatus> {
    return this.client.jobs.status(part);
  }

  protected streamPartResults(part: ProviderBatchPart): AsyncIterable<PartItemResult> {
    return this.client.jobs.results(part);
  }

  protected cancelPart(part: ProviderBatchPart): Promise<void> {
    return this.client.jobs.cancel(part);
  }
}

/** The tag a part's job carries, and what crash recovery looks for. */
function partDisplayName(batchKey: string, partIndex: number): string {
  return `${batchKey}-part-${partIndex}`;
}
