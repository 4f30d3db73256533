import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from '#contracts';
import { ComparisonApiError, errorCodeForStatus } from './comparison-api.error.js';
import type { BatchAccepted, BatchSubmission } from './comparison-api.types.js';

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

  async submitBatch(submission: BatchSubmission): Promise<BatchAccepted> {
    const body = await this.call('POST', '/api/v1/comparison/batch', submission);
    const batchId = (body as Partial<BatchAccepted> | null)?.batch_id;
    if (typeof batchId !== 'string' || batchId.length === 0) {
      throw new ComparisonApiError('INVALID_RESPONSE', 'batch response without batch_id', null);
    }
    return body as BatchAccepted;
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
