import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import {
  BaseBatchProvider,
  type CreatedPart,
  type PartContext,
  type PartLookup,
} from '../core/base-batch-provider.js';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import { CustomIdMap, toCustomId } from '../core/custom-id.js';
import type { ProviderBatchPart, ProviderBatchRef } from '../core/llm-provider.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import { createOpenAIClient } from './openai.client.js';
import { jsonlLines, writeJsonlFile } from '../core/jsonl-file.js';
import { CHAT_COMPLETIONS_URL, toBatchLine, toChatCompletionParams } from './openai.request-mapper.js';
import {
  batchFailure,
  isAdoptableBatchOf,
  parseBatchOutputLine,
  parseChatCompletion,
  parseJsonlLine,
  toNormalisedState,
  toStatusCounts,
} from './openai.response-parser.js';

/** Page size of the batch list (the API's maximum) and how many pages a crash recovery reads at most. */
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 5;

/** OpenAI through the official SDK: Chat Completions for single calls, Files + Batch API for batches. */
export class OpenAIProvider extends BaseBatchProvider {
  readonly name = 'openai' as const;
  /** Its client's fetch (createJsonPostFetch) holds every request until the call's send gate opens. */
  readonly gatesSends = true;
  private sdk?: OpenAI;

  /** Built on first use, so an unconfigured provider never constructs a client. */
  private get client(): OpenAI {
    this.sdk ??= createOpenAIClient(this.settings);
    return this.sdk;
  }

  protected async requestComparison(
    request: ComparisonRequest,
    config: ResolvedLlmConfig,
  ): Promise<ItemAnswer> {
    const params = toChatCompletionParams(buildComparisonPrompt(request, config), config);
    const completion = await this.call('comparison', () => this.client.chat.completions.create(params));
    return parseChatCompletion(completion);
  }

  /** The exact JSONL line this request adds to the input file (plus its newline). */
  protected override serialisedSize(request: ComparisonRequest, config: ResolvedLlmConfig): number {
    const line = toBatchLine(
      toCustomId(request.comparison_id, 0),
      buildComparisonPrompt(request, config),
      config,
    );
    return Buffer.byteLength(JSON.stringify(line), 'utf8') + 1;
  }

  protected async createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart> {
    const fileName = `${context.batchKey}-part-${context.partIndex}.jsonl`;
    const lines = function* () {
      for (const [i, request] of requests.entries()) {
        yield toBatchLine(
          context.customIds.customIds[i],
          buildComparisonPrompt(request, context.config),
          context.config,
        );
      }
    };
    // Built line by line into a temporary file, uploaded from disk: never one string of the whole part.
    const input = await writeJsonlFile(lines(), { name: fileName });
    let file: { id: string };
    try {
      file = await this.call('file.upload', async () =>
        this.client.files.create({
          file: await toFile(await input.blob('application/jsonl'), fileName, { type: 'application/jsonl' }),
          purpose: 'batch',
        }),
      );
    } finally {
      await input.remove();
    }
    const batch = await this.call(
      'batch.create',
      () =>
        this.client.batches.create({
          input_file_id: file.id,
          endpoint: CHAT_COMPLETIONS_URL,
          completion_window: '24h',
          metadata: { batch_key: context.batchKey, part_index: String(context.partIndex) },
        }),
      { idempotent: false },
    );
    return { provider_batch_id: batch.id, state: { input_file_id: file.id } };
  }

  /**
   * Lists batches newest first (the API's order) and adopts the one tagged with this part's metadata; stops at
   * the first batch older than the submission, or after LIST_MAX_PAGES pages.
   */
  protected override async findSubmittedPart(lookup: PartLookup): Promise<CreatedPart | null> {
    let after: string | undefined;
    for (let page = 0; page < LIST_MAX_PAGES; page += 1) {
      const cursor = after;
      const listed = await this.call('batch.list', () =>
        this.client.batches.list({ limit: LIST_PAGE_SIZE, ...(cursor ? { after: cursor } : {}) }),
      );
      for (const batch of listed.data) {
        if (batch.created_at * 1000 < lookup.notBefore) return null;
        if (isAdoptableBatchOf(batch, lookup.batchKey, lookup.partIndex)) {
          return {
            provider_batch_id: batch.id,
            state: { input_file_id: batch.input_file_id, recovered: true },
          };
        }
      }
      after = listed.data.at(-1)?.id;
      if (!listed.has_more || !after) return null;
    }
    return null;
  }

  protected async fetchPartStatus(part: ProviderBatchPart): Promise<PartStatus> {
    const batch = await this.call('batch.status', () => this.client.batches.retrieve(part.provider_batch_id));
    return {
      state: toNormalisedState(batch.status),
      raw_status: batch.status,
      counts: toStatusCounts(batch, part.comparison_ids.length),
      ...(batch.status === 'failed' ? { error: batchFailure(batch) } : {}),
      ...resultFilesOf(batch),
    };
  }

  /**
   * Successes are in the output file, failed and expired items in the error file: both are read, each as a
   * stream, line by line (a 100,000-line output file is never one string).
   */
  protected async *streamPartResults(
    part: ProviderBatchPart,
    _ref: ProviderBatchRef,
    status: PartStatus,
  ): AsyncIterable<PartItemResult> {
    // The files named by the status that found the part finished; read again only for a status without them.
    const files =
      status.result_files ??
      resultFilesOf(
        await this.call('batch.status', () => this.client.batches.retrieve(part.provider_batch_id)),
      ).result_files ??
      [];
    const ids = new CustomIdMap(part.comparison_ids);
    for (const fileId of files) {
      const response = await this.call('file.content', () => this.client.files.content(fileId));
      if (!response.body) continue;
      for await (const text of jsonlLines(response.body)) {
        const line = parseJsonlLine(text);
        const comparisonId = ids.comparisonIdOf(line.custom_id);
        if (comparisonId === undefined) continue;
        const outcome = parseBatchOutputLine(line);
        yield outcome.ok
          ? { comparison_id: comparisonId, answer: outcome.parsed }
          : { comparison_id: comparisonId, error: outcome.error };
      }
    }
  }

  protected async cancelPart(part: ProviderBatchPart): Promise<void> {
    await this.call('batch.cancel', () => this.client.batches.cancel(part.provider_batch_id));
  }
}

/** A finished batch's output and error file ids (successes, then failed and expired items), when it has any. */
function resultFilesOf(batch: {
  status: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
}): { result_files?: string[] } {
  const files = [batch.output_file_id, batch.error_file_id].filter((id): id is string => !!id);
  return files.length > 0 ? { result_files: files } : {};
}
