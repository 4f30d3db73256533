import type { ServerResponse } from 'node:http';
import {
  FakeHttpServer,
  ItemBehaviours,
  approximateTokens,
  fakeId,
  type FakeItemBehaviour,
  type RecordedRequest,
} from './fake-http-server.js';
import { judgeComparisonText } from './fake-judge.js';

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

type Json = Record<string, unknown>;

interface FakeBatch {
  id: string;
  requests: Array<{ custom_id: string; params: Json }>;
  createdAt: Date;
  polls: number;
  cancelInitiatedAt?: Date;
  endedAt?: Date;
  results?: Json[];
  /** Set at creation by expireHalfOfNextBatch: the 24 h run out after the first half of the requests. */
  expireSecondHalf?: boolean;
}

export interface AnthropicFakeOptions {
  apiKey?: string;
  /** Retrieves that still answer `in_progress` before a batch ends (default 1: the first poll sees it ended). */
  pollsUntilEnded?: number;
  now?: () => Date;
}

/**
 * Anthropic Messages + Message Batches API, as the official SDK 1.x speaks it: `anthropic-version` required,
 * key as `Authorization: Bearer` (or the older `x-api-key`), `msgbatch_` ids, RFC 3339 timestamps, results
 * JSONL served at the absolute `results_url` in a scrambled order (and only once a batch has ended),
 * errored/expired/canceled items, and the paginated list (newest first). A batch carries no client tag or
 * metadata: nothing in a listed batch says whose it is, only its `created_at` and `request_counts`.
 */
export class AnthropicFakeServer extends FakeHttpServer {
  readonly apiKey: string;
  pollsUntilEnded: number;
  /**
   * Batch requests the organisation may have in the processing queue (undefined: no limit). A create that would
   * pass it is refused with 429 `rate_limit_error` and a `retry-after` header (platform.claude.com/docs/en/api/
   * rate-limits, "Message Batches API": a limit on batch requests in the processing queue; errors page: 429
   * rate_limit_error). Nothing is created.
   */
  queueLimit?: number;
  private peakQueued = 0;
  readonly behaviours = new ItemBehaviours();
  private readonly now: () => Date;
  private readonly batches = new Map<string, FakeBatch>();
  private readonly cachedPrefixes = new Set<string>();
  private halfExpiring = 0;
  private ids = 0;

  constructor(options: AnthropicFakeOptions = {}) {
    super();
    this.apiKey = options.apiKey ?? 'sk-ant-fake-key';
    this.pollsUntilEnded = options.pollsUntilEnded ?? 1;
    this.now = options.now ?? (() => new Date());
  }

  /** `customIdOrMarker`: a batch custom_id, or any text inside the request (e.g. a marker in an essay). */
  setItemBehaviour(customIdOrMarker: string, behaviour: FakeItemBehaviour): void {
    this.behaviours.set(customIdOrMarker, behaviour);
  }

  /**
   * The next `count` created batches reach only the first half of their requests before their 24 hours run out:
   * the batch ends (`processing_status: ended`) with `succeeded` results for that half and `expired` results for
   * the rest, which are not billed (platform.claude.com/docs/en/build-with-claude/batch-processing, results).
   */
  expireHalfOfNextBatch(count = 1): void {
    this.halfExpiring += count;
  }

  /** Requests of batches still processing (not ended). */
  queuedRequests(): number {
    let total = 0;
    for (const batch of this.batches.values()) if (!batch.endedAt) total += batch.requests.length;
    return total;
  }

  /** The most requests the processing queue ever held at once. */
  peakQueuedRequests(): number {
    return this.peakQueued;
  }

  createdBatchCount(): number {
    return this.batches.size;
  }

  /** The `requests` array of each created batch, in creation order. */
  submittedBatches(): Array<{ id: string; requests: Array<{ custom_id: string; params: Json }> }> {
    return [...this.batches.values()].map((b) => ({ id: b.id, requests: b.requests }));
  }

  /** Bodies of individual `POST /v1/messages` calls that reached the router. */
  messageBodies(): Json[] {
    return this.requestLog
      .filter((r) => r.method === 'POST' && r.path === '/v1/messages')
      .map((r) => JSON.parse(r.body.toString('utf8')) as Json);
  }

  protected isAuthorised(req: RecordedRequest): boolean {
    const bearer = req.headers.authorization;
    return bearer === `Bearer ${this.apiKey}` || req.headers['x-api-key'] === this.apiKey;
  }

  protected errorTypeFor(status: number): string {
    const types: Record<number, string> = {
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      504: 'timeout_error',
      529: 'overloaded_error',
    };
    return types[status] ?? 'api_error';
  }

  protected errorBody(_status: number, type: string, message: string): unknown {
    return { type: 'error', error: { type, message }, request_id: this.nextId('req_') };
  }

  protected route(req: RecordedRequest, res: ServerResponse): void {
    if (!req.headers['anthropic-version']) {
      this.replyError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
      return;
    }
    const path = req.path.split('?')[0];
    const batchPath = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
    if (req.method === 'POST' && path === '/v1/messages') return this.createMessage(req, res);
    if (req.method === 'POST' && path === '/v1/messages/batches') return this.createBatch(req, res);
    if (req.method === 'GET' && path === '/v1/messages/batches') return this.listBatches(req, res);
    if (batchPath) {
      const batch = this.batches.get(batchPath[1]);
      if (!batch) return this.replyError(res, 404, 'not_found_error', `batch ${batchPath[1]} not found`);
      if (req.method === 'GET' && !batchPath[2]) return this.retrieveBatch(batch, res);
      if (req.method === 'POST' && batchPath[2] === '/cancel') return this.cancelBatch(batch, res);
      if (req.method === 'GET' && batchPath[2] === '/results') return this.batchResults(batch, res);
    }
    this.replyError(res, 404, 'not_found_error', `${req.method} ${path} not found`);
  }

  private createMessage(req: RecordedRequest, res: ServerResponse): void {
    const params = parseJson(req.body);
    const problem = validateParams(params);
    if (problem) return this.replyError(res, 400, 'invalid_request_error', problem);
    const behaviour = this.behaviours.of(undefined, requestText(params!));
    if (behaviour === 'error') {
      return this.replyError(res, 400, 'invalid_request_error', 'messages: the request was rejected (fake)');
    }
    this.replyJson(res, 200, this.answer(params!, behaviour), { 'request-id': this.nextId('req_') });
  }

  private createBatch(req: RecordedRequest, res: ServerResponse): void {
    const body = parseJson(req.body);
    const requests = body?.requests;
    if (!Array.isArray(requests) || requests.length === 0) {
      return this.replyError(res, 400, 'invalid_request_error', 'requests: field required (non-empty list)');
    }
    const seen = new Set<string>();
    for (const [index, item] of (requests as Json[]).entries()) {
      const customId = item?.custom_id;
      if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) {
        return this.replyError(res, 400, 'invalid_request_error', `requests.${index}.custom_id: invalid`);
      }
      if (seen.has(customId)) {
        return this.replyError(res, 400, 'invalid_request_error', `requests.${index}.custom_id: duplicate`);
      }
      seen.add(customId);
      const problem = validateParams(item.params as Json | undefined);
      if (problem)
        return this.replyError(res, 400, 'invalid_request_error', `requests.${index}.params.${problem}`);
    }
    const queued = this.queuedRequests();
    if (this.queueLimit !== undefined && queued + requests.length > this.queueLimit) {
      return this.replyError(
        res,
        429,
        'rate_limit_error',
        `Number of batch requests in the processing queue would exceed your organization's limit of ` +
          `${this.queueLimit}. Please wait for current batches to finish.`,
        { 'retry-after': '1' },
      );
    }
    this.peakQueued = Math.max(this.peakQueued, queued + requests.length);
    const batch: FakeBatch = {
      id: this.nextId('msgbatch_01'),
      requests: requests as FakeBatch['requests'],
      createdAt: this.now(),
      polls: 0,
      ...(this.halfExpiring > 0 ? { expireSecondHalf: true } : {}),
    };
    if (this.halfExpiring > 0) this.halfExpiring -= 1;
    this.batches.set(batch.id, batch);
    this.replyJson(res, 200, this.batchObject(batch));
  }

  /**
   * Newest first, `limit` 1–1000 (default 20), `after_id` = the previous page's `last_id` for older batches,
   * `before_id` for newer ones; `{data, has_more, first_id, last_id}`
   * (platform.claude.com/docs/en/api/messages/batches/list). Listing does not advance a batch.
   */
  private listBatches(req: RecordedRequest, res: ServerResponse): void {
    const query = new URL(req.path, 'http://fake').searchParams;
    const limit = Number(query.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return this.replyError(res, 400, 'invalid_request_error', 'limit: must be from 1 to 1000');
    }
    const all = [...this.batches.values()].reverse();
    const afterId = query.get('after_id');
    const beforeId = query.get('before_id');
    let page: FakeBatch[];
    let more: boolean;
    if (beforeId) {
      const end = all.findIndex((b) => b.id === beforeId);
      page = all.slice(Math.max(0, end - limit), Math.max(0, end));
      more = end - limit > 0;
    } else {
      const start = afterId ? all.findIndex((b) => b.id === afterId) + 1 : 0;
      page = all.slice(start, start + limit);
      more = start + limit < all.length;
    }
    this.replyJson(res, 200, {
      data: page.map((b) => this.batchObject(b)),
      has_more: more,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
    });
  }

  private retrieveBatch(batch: FakeBatch, res: ServerResponse): void {
    batch.polls += 1;
    const due = batch.cancelInitiatedAt || (!this.batchesHeld && batch.polls >= this.pollsUntilEnded);
    if (!batch.endedAt && due) this.finish(batch);
    this.replyJson(res, 200, this.batchObject(batch));
  }

  private cancelBatch(batch: FakeBatch, res: ServerResponse): void {
    if (!batch.endedAt && !batch.cancelInitiatedAt) batch.cancelInitiatedAt = this.now();
    this.replyJson(res, 200, this.batchObject(batch));
  }

  private batchResults(batch: FakeBatch, res: ServerResponse): void {
    if (!batch.results) {
      return this.replyError(res, 400, 'invalid_request_error', `batch ${batch.id} has not ended processing`);
    }
    res.writeHead(200, { 'content-type': 'application/x-jsonl', 'request-id': this.nextId('req_') });
    res.end(
      this.ordered(batch.results)
        .map((line) => JSON.stringify(line))
        .join('\n') + '\n',
    );
  }

  /** Runs every item at once (a canceled batch runs none), fixing the results the JSONL will serve. */
  private finish(batch: FakeBatch): void {
    const expiresAt = new Date(batch.createdAt.getTime() + DAY_MS);
    let anyExpired = false;
    const half = Math.floor(batch.requests.length / 2);
    batch.results = batch.requests.map(({ custom_id, params }, index) => {
      if (batch.cancelInitiatedAt) return { custom_id, result: { type: 'canceled' } };
      const unreached = batch.expireSecondHalf === true && index >= half;
      const behaviour = unreached ? 'expire' : this.behaviours.of(custom_id, requestText(params));
      if (behaviour === 'expire') {
        anyExpired = true;
        return { custom_id, result: { type: 'expired' } };
      }
      if (behaviour === 'error') {
        const error = {
          type: 'invalid_request_error',
          message: 'messages.0: the request was rejected (fake)',
        };
        return { custom_id, result: { type: 'errored', error: { type: 'error', error, request_id: null } } };
      }
      return { custom_id, result: { type: 'succeeded', message: this.answer(params, behaviour) } };
    });
    batch.endedAt = anyExpired ? expiresAt : this.now();
  }

  private batchObject(batch: FakeBatch): Json {
    const count = (type: string) =>
      batch.results?.filter((r) => (r.result as Json).type === type).length ?? 0;
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: batch.endedAt ? 'ended' : batch.cancelInitiatedAt ? 'canceling' : 'in_progress',
      request_counts: {
        processing: batch.results ? 0 : batch.requests.length,
        succeeded: count('succeeded'),
        errored: count('errored'),
        canceled: count('canceled'),
        expired: count('expired'),
      },
      ended_at: batch.endedAt?.toISOString() ?? null,
      created_at: batch.createdAt.toISOString(),
      expires_at: new Date(batch.createdAt.getTime() + DAY_MS).toISOString(),
      archived_at: null,
      cancel_initiated_at: batch.cancelInitiatedAt?.toISOString() ?? null,
      results_url: batch.endedAt ? `${this.url}/v1/messages/batches/${batch.id}/results` : null,
    };
  }

  /** A Message answering through the forced tool, with usage that reflects the prompt cache. */
  private answer(params: Json, behaviour: FakeItemBehaviour): Json {
    const usage = this.usageFor(params);
    const base = { id: this.nextId('msg_01'), type: 'message', role: 'assistant', model: params.model };
    if (behaviour === 'refuse') {
      return { ...base, content: [], stop_reason: 'refusal', stop_sequence: null, usage };
    }
    const toolChoice = params.tool_choice as Json | undefined;
    const input =
      behaviour === 'malformed'
        ? { winner: 'Essay C', confidence: 9 }
        : judgeComparisonText(requestText(params));
    const content =
      toolChoice?.type === 'tool'
        ? [{ type: 'tool_use', id: this.nextId('toolu_01'), name: toolChoice.name, input }]
        : [{ type: 'text', text: JSON.stringify(input) }];
    // An answer longer than max_tokens stops there: stop_reason "max_tokens", the tool call cut off
    // (platform.claude.com Messages API, stop_reason values); thinking would count against the same limit.
    const answerTokens = approximateTokens(JSON.stringify(input)) + 20;
    if (typeof params.max_tokens === 'number' && answerTokens > params.max_tokens) {
      return {
        ...base,
        content: [{ type: 'text', text: JSON.stringify(input).slice(0, params.max_tokens) }],
        stop_reason: 'max_tokens',
        stop_sequence: null,
        usage: { ...usage, output_tokens: params.max_tokens },
      };
    }
    return {
      ...base,
      content,
      stop_reason: toolChoice?.type === 'tool' ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage,
    };
  }

  /** Everything up to the last `cache_control` block is the cacheable prefix: written once, read afterwards. */
  private usageFor(params: Json): Json {
    const parts = [JSON.stringify(params.tools ?? []), JSON.stringify(params.system ?? '')];
    let prefixEnd = -1;
    for (const message of (params.messages as Json[]) ?? []) {
      const content =
        typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
      for (const block of content as Json[]) {
        parts.push(String(block.text ?? JSON.stringify(block)));
        if (block.cache_control) prefixEnd = parts.length;
      }
    }
    const total = approximateTokens(parts.join(''));
    const prefix = prefixEnd > 0 ? parts.slice(0, prefixEnd).join('') : '';
    const prefixTokens = prefix ? approximateTokens(prefix) : 0;
    const hit = prefix !== '' && this.cachedPrefixes.has(prefix);
    if (prefix) this.cachedPrefixes.add(prefix);
    return {
      input_tokens: Math.max(1, total - prefixTokens),
      output_tokens: 40,
      cache_creation_input_tokens: hit ? 0 : prefixTokens,
      cache_read_input_tokens: hit ? prefixTokens : 0,
      service_tier: 'standard',
    };
  }

  private ordered<T>(lines: T[]): T[] {
    return this.inResultOrder(lines);
  }

  private nextId(prefix: string): string {
    this.ids += 1;
    return fakeId(prefix, this.ids);
  }
}

function parseJson(body: Buffer): Json | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function validateParams(params: Json | undefined): string | undefined {
  if (!params) return 'body: invalid JSON';
  if (typeof params.model !== 'string' || params.model === '') return 'model: field required';
  if (typeof params.max_tokens !== 'number' || params.max_tokens < 1) return 'max_tokens: field required';
  if (!Array.isArray(params.messages) || params.messages.length === 0) return 'messages: field required';
  const toolChoice = params.tool_choice as Json | undefined;
  if (toolChoice?.type === 'tool') {
    const tools = (params.tools as Json[] | undefined) ?? [];
    if (!tools.some((tool) => tool.name === toolChoice.name)) return 'tool_choice: tool not found in tools';
  }
  return undefined;
}

function requestText(params: Json): string {
  return ((params.messages as Json[]) ?? [])
    .flatMap((m) =>
      typeof m.content === 'string' ? [m.content] : (m.content as Json[]).map((b) => String(b.text)),
    )
    .join('\n');
}
