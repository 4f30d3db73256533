import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from '#contracts';
import { ComparisonApiError, errorCodeForStatus } from './comparison-api.error.js';
import type { BatchAccepted, BatchSubmission } from './comparison-api.types.js';

export interface ComparisonApiOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Tries per call for retryable failures (connection errors, 5xx, 429). */
  attempts: number;
  /** First backoff; doubles per try. */
  backoffMs?: number;
}

/**
 * HTTP client of the comparison service's batch endpoint. Submissions carry a deterministic correlation_id, so
 * retrying one (here or after a redelivery) returns the same batch instead of creating a second.
 */
@Injectable()
export class ComparisonApiClient {
  constructor(private readonly options: ComparisonApiOptions) {}

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
    const backoff = this.options.backoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, payload);
      } catch (err) {
        const error = asApiError(err);
        if (!error.retryable || attempt >= this.options.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoff * 2 ** (attempt - 1)));
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
