import { approximateTokens, type FakeItemBehaviour } from './fake-http-server.js';
import { judgeComparisonText } from './fake-judge.js';
import { openAIServedModel } from './served-models.js';

/** Wire shapes and pure checks of the OpenAI fake (openai-fake-server.ts): files, batches, input-line rules. */

const DAY_S = 24 * 60 * 60;
export const ENDPOINTS = new Set([
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/embeddings',
  '/v1/completions',
]);

export type Json = Record<string, unknown>;

export interface FakeFile {
  id: string;
  filename: string;
  purpose: string;
  createdAt: number;
  content: string;
}

export interface ValidationProblem {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface FakeBatch {
  id: string;
  inputFileId: string;
  endpoint: string;
  metadata: Json | null;
  lines: Json[];
  status: string;
  polls: number;
  timestamps: Record<string, number>;
  errors?: ValidationProblem[];
  outputFileId?: string;
  errorFileId?: string;
  counts: { total: number; completed: number; failed: number };
  /** Set at creation by expireHalfOfNextBatch: the window runs out after the first half of the lines. */
  expireSecondHalf?: boolean;
  /** Tokens the batch holds in the organisation's queue for its model while validating..finalizing. */
  enqueuedTokens?: number;
}

/** Tokens one batch line enqueues, as the fake counts them: prompt text (4 chars a token) + its output limit. */
export function lineTokens(line: Json): number {
  const body = (line.body ?? {}) as Json;
  const text = requestText(body);
  const output = Number(body.max_completion_tokens ?? body.max_tokens ?? 0);
  return Math.max(1, Math.ceil(text.length / 4)) + (Number.isFinite(output) ? output : 0);
}

/** The checks OpenAI runs on an input file: method, url = endpoint, unique custom ids, valid bodies, one model. */
export function validateBatchLines(lines: Json[], endpoint: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const seen = new Set<string>();
  const models = new Set<unknown>();
  lines.forEach((line, index) => {
    const at = (code: string, message: string, param: string) =>
      problems.push({ code, message, param, line: index + 1 });
    if (line.method !== 'POST') at('invalid_method', 'method must be POST', 'method');
    if (line.url !== endpoint) at('invalid_url', `url must be ${endpoint}`, 'url');
    if (typeof line.custom_id !== 'string')
      at('missing_required_parameter', 'custom_id is required', 'custom_id');
    else if (seen.has(line.custom_id)) at('duplicate_custom_id', 'custom_id must be unique', 'custom_id');
    else seen.add(line.custom_id);
    const problem = validateBody(line.body as Json | undefined);
    if (problem) at('invalid_request', problem, 'body');
    models.add((line.body as Json | undefined)?.model);
  });
  if (models.size > 1)
    problems.push({ code: 'mismatched_model', message: 'one model per batch', param: null, line: null });
  return problems;
}

export function batchObject(batch: FakeBatch): Json {
  const t = batch.timestamps;
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    model: (batch.lines[0]?.body as Json | undefined)?.model ?? null,
    errors: batch.errors ? { object: 'list', data: batch.errors } : null,
    input_file_id: batch.inputFileId,
    completion_window: '24h',
    status: batch.status,
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
    created_at: t.created_at,
    in_progress_at: t.in_progress_at ?? null,
    expires_at: t.created_at + DAY_S,
    finalizing_at: t.finalizing_at ?? null,
    completed_at: t.completed_at ?? null,
    failed_at: t.failed_at ?? null,
    expired_at: t.expired_at ?? null,
    cancelling_at: t.cancelling_at ?? null,
    cancelled_at: t.cancelled_at ?? null,
    request_counts: batch.counts,
    metadata: batch.metadata,
  };
}

/**
 * `GET /v1/batches`: newest first, `limit` (1–100, default 20) objects after the `after` cursor (a batch id; one
 * the list does not hold gives an empty page), with `first_id`/`last_id` (null when empty) and `has_more`.
 * Returns a problem message instead when `limit` is out of range.
 */
export function batchListPage(newestFirst: FakeBatch[], query: URLSearchParams): Json | string {
  const limit = query.has('limit') ? Number(query.get('limit')) : 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return `Invalid 'limit': integer between 1 and 100 expected, got '${query.get('limit')}'.`;
  }
  const after = query.get('after');
  const start = after === null ? 0 : newestFirst.findIndex((b) => b.id === after) + 1;
  const page = start === 0 && after !== null ? [] : newestFirst.slice(start, start + limit);
  return {
    object: 'list',
    data: page.map(batchObject),
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: page.length > 0 && start + page.length < newestFirst.length,
  };
}

export function fileObject(file: FakeFile): Json {
  return {
    id: file.id,
    object: 'file',
    bytes: Buffer.byteLength(file.content),
    created_at: file.createdAt,
    expires_at: null,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
  };
}

export function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

export function validateBody(body: Json | undefined): string | undefined {
  if (!body) return 'We could not parse the JSON body of your request.';
  if (typeof body.model !== 'string' || body.model === '') return "Missing required parameter: 'model'.";
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return "Missing required parameter: 'messages'.";
  const format = body.response_format as Json | undefined;
  if (format?.type === 'json_schema') {
    const schema = format.json_schema as Json | undefined;
    if (!schema?.name || !schema.schema) return "Missing required parameter: 'response_format.json_schema'.";
  }
  return undefined;
}

export function contentParts(message: Json): string[] {
  return Array.isArray(message.content) ? (message.content as Json[]).map((p) => String(p.text ?? '')) : [];
}

export function requestText(body: Json): string {
  return ((body.messages as Json[]) ?? [])
    .flatMap((m) => (typeof m.content === 'string' ? [m.content] : contentParts(m)))
    .join('\n');
}

/** OpenAI caches prompt prefixes: here the system message plus the first user content part. */
export function cacheablePrefix(body: Json): string {
  return ((body.messages as Json[]) ?? [])
    .map((m) => (typeof m.content === 'string' ? m.content : (contentParts(m)[0] ?? '')))
    .join('');
}

/** Reasoning model families (o-series, gpt-5.x, gpt-6.x): they think before answering and refuse temperature. */
export function isReasoningModel(model: unknown): boolean {
  return typeof model === 'string' && /^(o\d|gpt-5|gpt-6)/.test(model);
}

/**
 * Reasoning tokens a reasoning model spends per `reasoning_effort` (the default is medium). The numbers are the
 * fake's, chosen so a judge answer fits at `low` with a small allowance but not at the default with none:
 * reasoning tokens are billed as output and count against `max_completion_tokens`
 * (platform.openai.com/docs/guides/reasoning, "Allocating space for reasoning").
 */
const REASONING_TOKENS: Record<string, number> = {
  none: 0,
  minimal: 64,
  low: 512,
  medium: 2_048,
  high: 8_192,
};

/**
 * A reasoning model answers a non-default temperature with 400 (real message, e.g. openai-python#2072:
 * "Unsupported value: 'temperature' does not support 0.3 with this model. Only the default (1) value is
 * supported.").
 */
export function unsupportedParameter(body: Json): string | undefined {
  if (isReasoningModel(body.model) && body.temperature !== undefined && body.temperature !== 1) {
    return `Unsupported value: 'temperature' does not support ${String(body.temperature)} with this model. Only the default (1) value is supported.`;
  }
  return undefined;
}

/**
 * A ChatCompletion answering with the fake judge (or a malformed / refused answer). A reasoning model first
 * spends reasoning tokens; when they and the answer do not fit in `max_completion_tokens` the answer is cut off:
 * `finish_reason: "length"` with empty content, all the room billed as output.
 */
export function chatCompletion(
  body: Json,
  behaviour: FakeItemBehaviour,
  meta: { id: string; created: number; cachedTokens: number },
): Json {
  const promptTokens = approximateTokens(JSON.stringify(body.messages ?? []));
  const answer = JSON.stringify(judgeComparisonText(requestText(body)));
  const reasoningTokens = isReasoningModel(body.model)
    ? (REASONING_TOKENS[String(body.reasoning_effort ?? 'medium')] ?? REASONING_TOKENS.medium)
    : 0;
  const limit = typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : Infinity;
  const answerTokens = approximateTokens(answer);
  const truncated = reasoningTokens + answerTokens > limit;
  const content = truncated
    ? ''
    : behaviour === 'malformed'
      ? '{"winner": "Essay C", "justification": '
      : behaviour === 'refuse'
        ? null
        : answer;
  const completionTokens = truncated ? (limit as number) : reasoningTokens + 40;
  const message = {
    role: 'assistant',
    content,
    refusal: behaviour === 'refuse' ? "I'm sorry, I can't help with that." : null,
    annotations: [],
  };
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: openAIServedModel(String(body.model)),
    choices: [{ index: 0, message, logprobs: null, finish_reason: truncated ? 'length' : 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: meta.cachedTokens, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: truncated ? Math.min(reasoningTokens, limit as number) : reasoningTokens,
        audio_tokens: 0,
      },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}
