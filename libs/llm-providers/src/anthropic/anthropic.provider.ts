import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import type Anthropic from '@anthropic-ai/sdk';
import { Logger } from '@nestjs/common';
import type {
  MessageBatch,
  MessageBatchIndividualResponse,
} from '@anthropic-ai/sdk/resources/messages/batches';
import { BaseBatchProvider, type CreatedPart, type PartContext } from '../core/base-batch-provider.js';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import { CustomIdMap, toCustomId } from '../core/custom-id.js';
import { jsonArrayFraming, writeJsonlFile } from '../core/jsonl-file.js';
import type { ProviderBatchPart } from '../core/llm-provider.js';
import {
  INTENT_CLOCK_SKEW_MS,
  provesIntent,
  recoverIntendedPart,
  type IntentCandidate,
  type IntentRecovery,
  type PartIntent,
} from '../core/part-intent.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import { createAnthropicClient } from './anthropic.client.js';
import { toAnthropicBatchRequest, toAnthropicMessageParams } from './anthropic.request-mapper.js';
import {
  parseAnthropicMessage,
  parseAnthropicResultLine,
  toNormalisedState,
  toStatusCounts,
} from './anthropic.response-parser.js';

const logger = new Logger('AnthropicProvider');
/** List page size: the most the API allows ("Defaults to 20. Ranges from 1 to 1000"). */
const LIST_PAGE_SIZE = 1_000;
/** Pages looked through for a part's candidates: a day of a busy account's batches, newest first. */
const LIST_MAX_PAGES = 20;

/**
 * Claude through the official SDK: Messages for single calls, Message Batches for batches.
 *
 * Message Batches carry no client tag or metadata, so a part created by a worker killed before it could store the
 * batch id is found again from the intent stored just before the create (part-intent.ts): the batches listed
 * since then (newest first, platform.claude.com/docs/en/api/messages/batches/list) with the same request count
 * are candidates, and one is adopted only once its results' custom ids prove it is ours. Results exist only once a
 * batch has ended, so a candidate still in progress makes the submission wait instead of creating the part again.
 */
export class AnthropicProvider extends BaseBatchProvider {
  readonly name = 'anthropic' as const;
  /** Its client's fetch (createJsonPostFetch) holds every request until the call's send gate opens. */
  readonly gatesSends = true;
  protected override readonly recordsPartIntent = true;
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

  /**
   * The create body (`{"requests":[…]}`, up to 256 MB) is written line by line to a temporary file and sent as a
   * disk-backed Blob, which the SDK passes to fetch verbatim: the worker never holds the part as one string (the
   * SDK's JSON encoding of `batches.create` params would). A retry re-reads the same file.
   */
  protected async createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart> {
    const lines = function* () {
      for (let i = 0; i < requests.length; i += 1) {
        yield toAnthropicBatchRequest(
          context.customIds.customIds[i],
          buildComparisonPrompt(requests[i], context.config),
          context.config,
        );
      }
    };
    const body = await writeJsonlFile(lines(), {
      name: `${context.batchKey}-part-${context.partIndex}`,
      framing: jsonArrayFraming('requests'),
    });
    try {
      const batch = await this.call(
        'batch.create',
        async () =>
          // The SDK's generic POST (auth, version headers, typed errors) with the file as the body: it sends a
          // Blob verbatim, with its length. `messages.batches.create` cannot take it: it spreads its params.
          this.client.post<MessageBatch>('/v1/messages/batches', {
            body: await body.blob('application/json'),
            headers: { 'content-type': 'application/json' },
          }),
        { idempotent: false },
      );
      return { provider_batch_id: batch.id, state: { expires_at: batch.expires_at } };
    } finally {
      await body.remove();
    }
  }

  protected override async findIntendedPart(intent: PartIntent, ids: CustomIdMap): Promise<IntentRecovery> {
    const candidates = await this.listCandidates(intent);
    const recovery = await recoverIntendedPart(
      candidates,
      async (candidate) =>
        provesIntent(
          intent,
          ids,
          (await this.readResultLines(candidate.provider_batch_id)).map((l) => l.custom_id),
        ),
      (candidate) => ({ provider_batch_id: candidate.provider_batch_id, state: { recovered: true } }),
    );
    if (recovery.kind === 'adopt' && recovery.duplicates.length > 0) {
      logger.warn({
        msg: 'Anthropic batch part was created more than once; one copy adopted, the others ended unread',
        adopted: recovery.part.provider_batch_id,
        duplicates: recovery.duplicates,
      });
    }
    return recovery;
  }

  /** Batches created since the intent (less clock skew) with its request count, newest first. */
  private async listCandidates(intent: PartIntent): Promise<IntentCandidate[]> {
    const notBefore = Date.parse(intent.created_after) - INTENT_CLOCK_SKEW_MS;
    const candidates: IntentCandidate[] = [];
    let after: string | undefined;
    for (let page = 0; page < LIST_MAX_PAGES; page += 1) {
      const cursor = after;
      const listed = await this.call('batch.list', () =>
        this.client.messages.batches.list({ limit: LIST_PAGE_SIZE, ...(cursor ? { after_id: cursor } : {}) }),
      );
      for (const batch of listed.data) {
        if (Date.parse(batch.created_at) < notBefore) return candidates;
        if (requestCount(batch) !== intent.request_count || batch.archived_at) continue;
        candidates.push({
          provider_batch_id: batch.id,
          ended: batch.processing_status === 'ended',
          succeeded: batch.request_counts.succeeded,
        });
      }
      after = listed.data.at(-1)?.id;
      if (!listed.has_more || !after) return candidates;
    }
    return candidates;
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

  /** Every result line of an ended batch. The stream is drained inside the call, so a drop is retried whole. */
  private readResultLines(batchId: string): Promise<MessageBatchIndividualResponse[]> {
    return this.call('batch.results', async () => {
      const collected: MessageBatchIndividualResponse[] = [];
      for await (const line of await this.client.messages.batches.results(batchId)) collected.push(line);
      return collected;
    });
  }
}

function requestCount(batch: MessageBatch): number {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
}
