import type { ComparisonAnswer, TokenUsage } from '#contracts';
import type { Batch } from 'openai/resources/batches';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { parseComparisonAnswer } from '../core/answer-parser.js';
import { classifyStatus } from '../core/error-normalizer.js';
import type { ItemAnswer } from '../core/batch-aggregation.js';
import type { NormalisedBatchState, ProviderBatchStatus } from '../core/llm-provider.js';
import { ProviderError } from '../core/provider-error.js';

/** A line of a batch output or error file (https://platform.openai.com/docs/guides/batch). */
export interface OpenAIBatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

export type OpenAIItemOutcome =
  { customId: string; ok: true; parsed: ItemAnswer } | { customId: string; ok: false; error: ProviderError };

/** `prompt_tokens` already includes the cached ones, which is the convention costOf expects. */
export function toTokenUsage(usage: CompletionUsage | undefined): TokenUsage {
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens ?? 0;
  return {
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    total_tokens: usage?.total_tokens ?? 0,
    cache_read_tokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    ...(reasoning ? { reasoning_tokens: reasoning } : {}),
  };
}

/** The first choice's content is the JSON answer; a refusal or content filter is reported as such. */
export function parseChatCompletion(completion: ChatCompletion): ItemAnswer {
  const choice = completion.choices?.[0];
  if (!choice) throw invalid('no choices in the completion');
  if (choice.message.refusal || choice.finish_reason === 'content_filter') {
    throw new ProviderError('CONTENT_FILTERED', choice.message.refusal ?? 'the answer was filtered', {
      provider: 'openai',
    });
  }
  // Reasoning tokens count against max_completion_tokens: a cut-off answer is partial or empty.
  if (choice.finish_reason === 'length') {
    throw new ProviderError(
      'OUTPUT_TRUNCATED',
      'the answer hit max_completion_tokens before it was complete',
      {
        provider: 'openai',
        details: {
          reasoning_tokens: completion.usage?.completion_tokens_details?.reasoning_tokens ?? null,
          completion_tokens: completion.usage?.completion_tokens ?? null,
        },
      },
    );
  }
  if (!choice.message.content) throw invalid(`empty answer (finish: ${choice.finish_reason})`);
  let answer: ComparisonAnswer;
  try {
    answer = parseComparisonAnswer(choice.message.content);
  } catch (err) {
    throw withProvider(err);
  }
  return { answer, usage: toTokenUsage(completion.usage), model: completion.model };
}

/** One output/error file line → the item's answer or its typed error. */
export function parseBatchOutputLine(line: OpenAIBatchOutputLine): OpenAIItemOutcome {
  const customId = line.custom_id;
  if (line.error) return { customId, ok: false, error: fromLineError(line.error) };
  const response = line.response;
  if (!response) return { customId, ok: false, error: invalid('line has neither response nor error') };
  if (response.status_code !== 200) {
    const { code, retryable } = classifyStatus(response.status_code);
    const message = errorMessageOf(response.body) ?? `request failed with HTTP ${response.status_code}`;
    const error = new ProviderError(code, message, {
      provider: 'openai',
      status: response.status_code,
      retryable,
      details: { request_id: response.request_id },
    });
    return { customId, ok: false, error };
  }
  try {
    return { customId, ok: true, parsed: parseChatCompletion(response.body as ChatCompletion) };
  } catch (err) {
    return { customId, ok: false, error: withProvider(err) };
  }
}

/** Splits a file's JSONL into lines; blank lines are skipped, an unparsable line is an INVALID_RESPONSE. */
export function parseJsonlLines(text: string): OpenAIBatchOutputLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parseJsonlLine);
}

/** One line of an output or error file; an unparsable line is an INVALID_RESPONSE. */
export function parseJsonlLine(line: string): OpenAIBatchOutputLine {
  try {
    return JSON.parse(line) as OpenAIBatchOutputLine;
  } catch {
    throw invalid('unparsable line in a batch result file');
  }
}

const STATES: Record<Batch['status'], NormalisedBatchState> = {
  validating: 'validating',
  failed: 'failed',
  in_progress: 'in_progress',
  finalizing: 'finalizing',
  completed: 'ended',
  expired: 'expired',
  cancelling: 'canceling',
  cancelled: 'canceled',
};

export function toNormalisedState(status: Batch['status']): NormalisedBatchState {
  return STATES[status];
}

/** States after which no more results will appear (collect is possible). */
export function isTerminal(status: Batch['status']): boolean {
  return status === 'completed' || status === 'expired' || status === 'cancelled' || status === 'failed';
}

/** Statuses of a batch that still delivers results: a failed, expired or cancelled copy is not adopted. */
const ADOPTABLE_STATUSES: ReadonlySet<Batch['status']> = new Set([
  'validating',
  'in_progress',
  'finalizing',
  'completed',
]);

/** Whether a listed batch is the one createPart made for this part (its metadata tag) and can still be used. */
export function isAdoptableBatchOf(
  batch: Pick<Batch, 'metadata' | 'status'>,
  batchKey: string,
  partIndex: number,
): boolean {
  return (
    batch.metadata?.batch_key === batchKey &&
    batch.metadata?.part_index === String(partIndex) &&
    ADOPTABLE_STATUSES.has(batch.status)
  );
}

/**
 * OpenAI counts only total/completed/failed; the rest of a finished batch is expired or canceled depending on how
 * it ended, and still processing otherwise.
 */
export function toStatusCounts(
  batch: Pick<Batch, 'status' | 'request_counts'>,
  itemCount: number,
): ProviderBatchStatus['counts'] {
  const total = batch.request_counts?.total || itemCount;
  const succeeded = batch.request_counts?.completed ?? 0;
  const failed = batch.status === 'failed' ? total : (batch.request_counts?.failed ?? 0);
  const rest = Math.max(0, total - succeeded - failed);
  return {
    total,
    succeeded,
    failed,
    processing: isTerminal(batch.status) ? 0 : rest,
    expired: batch.status === 'expired' ? rest : 0,
    canceled: batch.status === 'cancelled' ? rest : 0,
  };
}

/** Why a failed batch failed, from `errors.data[]` (validation problems of the input file). */
export function batchFailure(batch: Pick<Batch, 'id' | 'errors'>): ProviderError {
  const problems = batch.errors?.data ?? [];
  const summary = problems.map(
    (p) => `${p.line !== undefined && p.line !== null ? `line ${p.line}: ` : ''}${p.message}`,
  );
  // The model's enqueued-token limit was reached: the whole batch fails validation with `token_limit_exceeded`
  // ("Enqueued token limit reached for <model> in organization ...", openai-python#2084; the same code on Azure
  // OpenAI, learn.microsoft.com Q&A 2285577). Nothing ran and nothing is billed: wait and resubmit the part.
  if (problems.some((p) => p.code === 'token_limit_exceeded')) {
    return new ProviderError('QUOTA_EXCEEDED', `batch ${batch.id} refused: ${summary.join('; ')}`, {
      provider: 'openai',
      retryable: true,
      details: { errors: problems },
    });
  }
  return new ProviderError(
    'INVALID_REQUEST',
    `batch ${batch.id} failed validation: ${summary.join('; ') || 'no detail'}`,
    {
      provider: 'openai',
      details: { errors: problems },
    },
  );
}

function fromLineError(error: { code: string; message: string }): ProviderError {
  if (error.code === 'batch_expired')
    return new ProviderError('BATCH_EXPIRED', error.message, { provider: 'openai' });
  if (error.code === 'batch_cancelled')
    return new ProviderError('CANCELED', error.message, { provider: 'openai' });
  return new ProviderError('INVALID_REQUEST', error.message, {
    provider: 'openai',
    details: { code: error.code },
  });
}

function errorMessageOf(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

function invalid(message: string): ProviderError {
  return new ProviderError('INVALID_RESPONSE', message, { provider: 'openai' });
}

function withProvider(err: unknown): ProviderError {
  if (err instanceof ProviderError) {
    return new ProviderError(err.code, err.message, { provider: 'openai', details: err.details, cause: err });
  }
  return invalid(`unreadable answer: ${String(err)}`);
}
