import type { BatchJob, GoogleGenAI, InlinedRequest } from '@google/genai';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import { CustomIdMap } from '../core/custom-id.js';
import type { BatchNotifyTarget, NormalisedBatchState, ProviderBatchPart } from '../core/llm-provider.js';
import { ProviderError } from '../core/provider-error.js';
import type { ResilientCaller } from '../core/resilience/resilient-caller.js';
import { googleCall } from './google.errors.js';
import type { GoogleRawHttp } from './google.raw-http.js';
import type { GeminiSdkRequest, GeminiWireRequest } from './google.request-mapper.js';
import {
  type GeminiBatchResult,
  normaliseGeminiState,
  parseGeminiBatchResult,
  parseGeminiResultLine,
} from './google.response-parser.js';
import { jsonlLines, writeJsonlFile } from '../core/jsonl-file.js';

export interface GooglePartItem {
  key: string;
  sdk: GeminiSdkRequest;
  wire: GeminiWireRequest;
}

/** What a part remembers between processes (stored in the ref): how its input went up. */
export interface GooglePartState {
  /** Absent on a part adopted after a crash (`recovered`): the list does not say how its input went up. */
  source?: 'inline' | 'file';
  input_file?: string;
  recovered?: true;
}

interface BatchStats {
  requestCount?: string;
  successfulRequestCount?: string;
  failedRequestCount?: string;
  pendingRequestCount?: string;
}

const PROVIDER = 'google';
/** Page size of the batch list and how many pages a crash recovery reads at most. */
const LIST_PAGE_SIZE = 100;
const LIST_MAX_PAGES = 5;
/** States of a job that still delivers results: a failed, cancelled or expired copy is not adopted. */
const ADOPTABLE_STATES: ReadonlySet<NormalisedBatchState> = new Set(['validating', 'in_progress', 'ended']);

/** The Gemini batch operations for one part each; every HTTP request is its own ResilientCaller call. */
export class GoogleBatchJobs {
  constructor(
    private readonly ai: GoogleGenAI,
    private readonly raw: GoogleRawHttp,
    private readonly caller: ResilientCaller,
  ) {}

  /**
   * Inline when the serialised requests are under `inlineMaxBytes` (the API's inline cap is 20 MB), otherwise
   * a JSONL file of `{key, request}` lines goes up through the resumable upload first.
   */
  async create(
    model: string,
    displayName: string,
    items: GooglePartItem[],
    inlineMaxBytes: number,
    notify?: BatchNotifyTarget,
  ): Promise<{ name: string; state: GooglePartState }> {
    // Sized line by line (each line is dropped once counted): the whole file is never one string.
    let bytes = 0;
    for (const item of items) bytes += Buffer.byteLength(JSON.stringify(fileLine(item))) + 1;
    let src: string | InlinedRequest[];
    let state: GooglePartState;
    if (bytes < inlineMaxBytes) {
      src = items.map((item) => ({
        contents: item.sdk.contents,
        config: item.sdk.config,
        metadata: { key: item.key },
      }));
      state = { source: 'inline' };
    } else {
      // Written to a temporary file chunk by chunk and uploaded from disk (the SDK sends it in 8 MB slices).
      const input = await writeJsonlFile(
        (function* () {
          for (const item of items) yield fileLine(item);
        })(),
        { name: displayName },
      );
      let file: { name?: string };
      try {
        const blob = await input.blob('application/jsonl');
        file = await this.caller.call(PROVIDER, 'files.upload', () =>
          googleCall(() =>
            this.ai.files.upload({ file: blob, config: { mimeType: 'application/jsonl', displayName } }),
          ),
        );
      } finally {
        await input.remove();
      }
      if (!file.name)
        throw new ProviderError('INVALID_RESPONSE', 'Gemini upload returned no file name', {
          provider: PROVIDER,
        });
      src = file.name;
      state = { source: 'file', input_file: file.name };
    }
    const job = await this.caller.call(
      PROVIDER,
      'batch.create',
      () =>
        googleCall(() =>
          this.ai.batches.create({
            model,
            src,
            // A per-job webhook: Gemini calls these URIs when the job ends and echoes userMetadata back.
            config: notify
              ? { displayName, webhookConfig: { uris: [notify.url], userMetadata: notify.metadata } }
              : { displayName },
          }),
        ),
      { idempotent: false },
    );
    if (!job.name)
      throw new ProviderError('INVALID_RESPONSE', 'Gemini batch create returned no name', {
        provider: PROVIDER,
      });
    return { name: job.name, state };
  }

  /**
   * The job an interrupted submission created under `displayName`, if it can still deliver results. The API does
   * not document the list order, so jobs created before `notBefore` are skipped rather than ending the search;
   * at most LIST_MAX_PAGES pages are read.
   */
  async findByDisplayName(displayName: string, notBefore: number): Promise<string | null> {
    const pager = await this.caller.call(PROVIDER, 'batch.list', () =>
      googleCall(() => this.ai.batches.list({ config: { pageSize: LIST_PAGE_SIZE } })),
    );
    for (let page = 1; ; page += 1) {
      const job = pager.page.find(
        (candidate) =>
          candidate.displayName === displayName &&
          ADOPTABLE_STATES.has(normaliseGeminiState(candidate.state)) &&
          !createdBefore(candidate, notBefore),
      );
      if (job?.name) return job.name;
      if (page >= LIST_MAX_PAGES || !pager.hasNextPage()) return null;
      await this.caller.call(PROVIDER, 'batch.list', () => googleCall(() => pager.nextPage()));
    }
  }

  async status(part: ProviderBatchPart): Promise<PartStatus> {
    const job = await this.get(part);
    return this.toPartStatus(part, job, await this.statsIfFinished(part, job));
  }

  /**
   * A finished part's results, yielded one by one: inlined responses from the job, or the responses file
   * streamed line by line (never read as one string).
   */
  async *results(part: ProviderBatchPart): AsyncGenerator<PartItemResult> {
    const job = await this.get(part);
    const ids = new CustomIdMap(part.comparison_ids);
    const toItem = (result: GeminiBatchResult): PartItemResult | undefined => {
      const comparisonId = result.key === undefined ? undefined : ids.comparisonIdOf(result.key);
      if (comparisonId === undefined) return undefined;
      const parsed = parseGeminiBatchResult(result);
      return parsed instanceof ProviderError
        ? { comparison_id: comparisonId, error: parsed }
        : { comparison_id: comparisonId, answer: parsed satisfies ItemAnswer };
    };
    if (job.dest?.inlinedResponses) {
      for (const r of job.dest.inlinedResponses) {
        const item = toItem({
          key: (r.metadata as { key?: string } | undefined)?.key,
          response: r.response,
          error: r.error,
        });
        if (item) yield item;
      }
    } else if (job.dest?.fileName) {
      const fileName = job.dest.fileName;
      const body = await this.caller.call(PROVIDER, 'files.download', () =>
        googleCall(() => this.raw.downloadFileStream(fileName)),
      );
      for await (const line of jsonlLines(body)) {
        const result = parseGeminiResultLine(line);
        const item = result && toItem(result);
        if (item) yield item;
      }
    }
  }

  async cancel(part: ProviderBatchPart): Promise<void> {
    await this.caller.call(PROVIDER, 'batch.cancel', () =>
      googleCall(() => this.ai.batches.cancel({ name: part.provider_batch_id })),
    );
  }

  private get(part: ProviderBatchPart): Promise<BatchJob> {
    return this.caller.call(PROVIDER, 'batch.status', () =>
      googleCall(() => this.ai.batches.get({ name: part.provider_batch_id })),
    );
  }

  /** The SDK drops `batchStats`; one raw read per finished part recovers the real counts. */
  private async statsIfFinished(part: ProviderBatchPart, job: BatchJob): Promise<BatchStats | undefined> {
    const state = normaliseGeminiState(job.state);
    if (state !== 'ended' && state !== 'canceled') return undefined;
    const operation = await this.caller.call(PROVIDER, 'batch.stats', () =>
      googleCall(() => this.raw.getJson(part.provider_batch_id)),
    );
    return (operation as { metadata?: { batchStats?: BatchStats } }).metadata?.batchStats;
  }

  private toPartStatus(part: ProviderBatchPart, job: BatchJob, stats: BatchStats | undefined): PartStatus {
    const state = normaliseGeminiState(job.state);
    const rawStatus = String(job.state ?? 'UNKNOWN');
    const size = part.comparison_ids.length;
    if (state === 'expired') return { state, raw_status: rawStatus, counts: { total: size, expired: size } };
    if (state === 'failed') {
      const error = new ProviderError(
        'EXTERNAL_SERVICE_ERROR',
        `Gemini batch ${part.provider_batch_id} failed`,
        {
          provider: PROVIDER,
          details: { provider_batch_id: part.provider_batch_id },
        },
      );
      return { state, raw_status: rawStatus, counts: { total: size, failed: size }, error };
    }
    if (!stats) return { state, raw_status: rawStatus };
    const succeeded = Number(stats.successfulRequestCount ?? 0);
    const failed = Number(stats.failedRequestCount ?? 0);
    const rest = Math.max(0, size - succeeded - failed);
    return {
      state,
      raw_status: rawStatus,
      counts: {
        total: size,
        succeeded,
        failed,
        ...(state === 'canceled' ? { canceled: rest } : { failed: failed + rest }),
      },
    };
  }
}

/** One line of a batch input file: `key` comes back on the result line. */
function fileLine(item: GooglePartItem): { key: string; request: GeminiWireRequest } {
  return { key: item.key, request: item.wire };
}

/** A job without a readable createTime is not ruled out by it. */
function createdBefore(job: BatchJob, epochMs: number): boolean {
  const created = Date.parse(job.createTime ?? '');
  return Number.isFinite(created) && created < epochMs;
}
