import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import type Anthropic from '@anthropic-ai/sdk';
import { BaseBatchProvider, type CreatedPart, type PartContext } from '../core/base-batch-provider.js';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import { CustomIdMap, toCustomId } from '../core/custom-id.js';
import type { ProviderBatchPart } from '../core/llm-provider.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import { createAnthropicClient } from './anthropic.client.js';
import { toAnthropicBatchRequest, toAnthropicMessageParams } from './anthropic.request-mapper.js';
import {
  parseAnthropicMessage,
  parseAnthropicResultLine,
  toNormalisedState,
  toStatusCounts,
} from './anthropic.response-parser.js';

/** Claude through the official SDK: Messages for single calls, Message Batches for batches. */
export class AnthropicProvider extends BaseBatchProvider {
  readonly name = 'anthropic' as const;
  private sdk?: Anthropic;

  /** Built on first use, so an unconfigured provider never constructs a client. */
  private get client(): Anthropic {
    this.sdk ??= createAnthropicClient(this.settings);
    return this.sdk;
  }

  protected async requestComparison(
    request: ComparisonRequest,
    config: ResolvedLlmConfig,
  ): Promise<ItemAnswer> {
    const params = toAnthropicMessageParams(buildComparisonPrompt(request, config), config, '5m');
    const message = await this.call('comparison', () => this.client.messages.create(params));
    return parseAnthropicMessage(message);
  }

  /** The exact line this request adds to the batch body (plus its separating comma). */
  protected override serialisedSize(request: ComparisonRequest, config: ResolvedLlmConfig): number {
    const line = toAnthropicBatchRequest(
      toCustomId(request.comparison_id, 0),
      buildComparisonPrompt(request, config),
      config,
    );
    return Buffer.byteLength(JSON.stringify(line), 'utf8') + 1;
  }

  protected async createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart> {
    const lines = requests.map((request, i) =>
      toAnthropicBatchRequest(
        context.customIds.customIds[i],
        buildComparisonPrompt(request, context.config),
        context.config,
      ),
    );
    const batch = await this.call(
      'batch.create',
      () => this.client.messages.batches.create({ requests: lines }),
      { idempotent: false },
    );
    return { provider_batch_id: batch.id, state: { expires_at: batch.expires_at } };
  }

  protected async fetchPartStatus(part: ProviderBatchPart): Promise<PartStatus> {
    const batch = await this.call('batch.status', () =>
      this.client.messages.batches.retrieve(part.provider_batch_id),
    );
    return {
      state: toNormalisedState(batch),
      raw_status: batch.processing_status,
      counts: toStatusCounts(batch.request_counts),
    };
  }

  /** The SDK's results stream is a JSONL decoder over the download: items are yielded as their lines arrive. */
  protected async *streamPartResults(part: ProviderBatchPart): AsyncIterable<PartItemResult> {
    const ids = new CustomIdMap(part.comparison_ids);
    const stream = await this.call('batch.results', () =>
      this.client.messages.batches.results(part.provider_batch_id),
    );
    for await (const line of stream) {
      const comparisonId = ids.comparisonIdOf(line.custom_id);
      if (comparisonId === undefined) continue;
      const outcome = parseAnthropicResultLine(line);
      yield outcome.ok
        ? { comparison_id: comparisonId, answer: outcome.parsed }
        : { comparison_id: comparisonId, error: outcome.error };
    }
  }

  protected async cancelPart(part: ProviderBatchPart): Promise<void> {
    await this.call('batch.cancel', () => this.client.messages.batches.cancel(part.provider_batch_id));
  }
}
