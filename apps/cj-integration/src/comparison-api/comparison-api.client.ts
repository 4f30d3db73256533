import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from '#contracts';
import { ComparisonApiError, errorCodeForStatus } from './comparison-api.error.js';
import type { BatchAccepted, BatchSubmission } from './comparison-api.types.js';
import { splitIntoParts, submissionBytes } from './upload-parts.js';

export interface ComparisonApiOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /**
   * How long retryable failures (connection errors, timeouts, 429, 5xx) are retried before the last one is
   * thrown: long enough to ride out a restart or deploy of the api, not just a blip.
   */
  retryForMs: number;
  /** First backoff; doubles per try (±20 % jitter) up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Largest body sent as ONE `POST /api/v1/comparison/batch` (keep it at or below the api's API_BODY_LIMIT); a
   * larger submission goes through the multi-part upload (create → parts → seal). Default 20,000,000.
   */
  maxBodyBytes?: number;
  /** Upper bound on tries, whatever the time budget (tests). */
  attempts?: number;
  /** Tests: a clock and a sleep that need not wait. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * HTTP client of the comparison service's batch endpoint. Submissions carry a deterministic correlation_id, so
 * retrying one (here or after a redelivery) returns the same batch instead of creating a second.
 */
@Injectable()
export class ComparisonApiClient {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ComparisonApiOptions) {
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * One request when the body fits `maxBodyBytes`, else (or when the api still answers 413) a multi-part upload.
   * Both carry the same deterministic correlation_id and content, so a retried or resumed submission (by either
   * route that it took the first time) gets the same batch back.
   */
  async submitBatch(submission: BatchSubmission): Promise<BatchAccepted> {
    if (submissionBytes(submission) > (this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)) {
      return this.uploadBatch(submission);
    }
    try {
      return withBatchId(await this.call('POST', '/api/v1/comparison/batch', submission), 'single');
    } catch (err) {
      if (err instanceof ComparisonApiError && err.status === 413) return this.uploadBatch(submission);
      throw err;
    }
  }

  /** create (options + shared prompt) → PUT parts of at most the api's `part_max_bytes` → seal. */
  async uploadBatch(submission: BatchSubmission): Promise<BatchAccepted> {
    const { essays, comparisons, ...options } = submission;
    const created = (await this.call('POST', UPLOADS, options)) as Partial<UploadCreated> | null;
    const uploadId = created?.upload_id;
    const partMaxBytes = created?.part_max_bytes;
    if (typeof uploadId !== 'string' || !uploadId || typeof partMaxBytes !== 'number' || partMaxBytes < 64) {
      throw new ComparisonApiError(
        'INVALID_RESPONSE',
        'upload response without upload_id/part_max_bytes',
        null,
      );
    }
    const parts = splitIntoParts({ essays, comparisons }, partMaxBytes);
    const at = `${UPLOADS}/${encodeURIComponent(uploadId)}`;
    for (const [index, part] of parts.entries()) await this.call('PUT', `${at}/parts/${index + 1}`, part);
    const sealed = withBatchId(await this.call('POST', `${at}/seal`, undefined), 'upload');
    return { ...sealed, upload: { upload_id: uploadId, parts: parts.length } };
  }

  async cancelBatch(batchId: string): Promise<void> {
    await this.call('POST', `/api/v1/comparison/batch/${encodeURIComponent(batchId)}/cancel`, undefined);
  }

  private async call(method: string, path: string, payload: unknown): Promise<unknown> {
    const base = this.options.backoffMs ?? 500;
    const cap = Math.max(base, this.options.maxBackoffMs ?? 15_000);
    const giveUpAt = this.clock() + this.options.retryForMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, payload);
      } catch (err) {
        const error = asApiError(err);
        const wait = Math.round(Math.min(cap, base * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random()));
        const outOfTries = this.options.attempts !== undefined && attempt >= this.options.attempts;
        if (!error.retryable || outOfTries || this.clock() + wait > giveUpAt) throw error;
        await this.sleep(wait);
      }
    }
  }

  private async once(method: string, path: string, payload: unknown): Promise<unknown> {
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.options.apiKey}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    const text = await response.text();
    const body = text ? safeJson(text) : null;
    if (response.ok) return body;
    const code = reportedCode(body) ?? errorCodeForStatus(response.status);
    throw new ComparisonApiError(
      code,
      `${method} ${path} answered ${response.status} (${code})`,
      response.status,
    );
  }
}

const UPLOADS = '/api/v1/comparison/batch/uploads';
/** The api's default API_BODY_LIMIT is 20 MiB (20,971,520 bytes): stay a little below it. */
export const DEFAULT_MAX_BODY_BYTES = 20_000_000;

interface UploadCreated {
  upload_id: string;
  part_max_bytes: number;
}

function withBatchId(body: unknown, route: 'single' | 'upload'): BatchAccepted {
  const batchId = (body as Partial<BatchAccepted> | null)?.batch_id;
  if (typeof batchId !== 'string' || batchId.length === 0) {
    throw new ComparisonApiError('INVALID_RESPONSE', `batch response (${route}) without batch_id`, null);
  }
  return body as BatchAccepted;
}

function asApiError(err: unknown): ComparisonApiError {
  if (err instanceof ComparisonApiError) return err;
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ComparisonApiError('TIMEOUT', 'the comparison service did not answer in time', null);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ComparisonApiError(
    'CONNECTION_ERROR',
    `the comparison service is unreachable: ${message}`,
    null,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The service's error body names a code in one of a few places; take it only when it is one of ours. */
function reportedCode(body: unknown): ErrorCode | null {
  if (!body || typeof body !== 'object') return null;
  const record = body as Record<string, unknown>;
  const nested = [record, record.error, record.error_detail].filter(
    (v): v is Record<string, unknown> => !!v && typeof v === 'object',
  );
  for (const candidate of nested) {
    const code = candidate.error_code ?? candidate.code;
    if (typeof code === 'string' && code in ERROR_CODES) return code as ErrorCode;
  }
  return null;
}
