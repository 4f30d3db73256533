import type { ServerResponse } from 'node:http';
import { judgeComparisonText } from './fake-judge.js';
import { openRouterServedModel } from './served-models.js';
import {
  approximateTokens,
  FakeHttpServer,
  ItemBehaviours,
  fakeId,
  type RecordedRequest,
} from './fake-http-server.js';

export type OpenRouterItemBehaviour = 'ok' | 'error' | 'malformed';
/** `expired` finishes the first half of the requests and leaves the rest unfinished, as a lapsed window does. */
export type OpenRouterBatchOutcome = 'completed' | 'expired' | 'failed';

interface ChatBody {
  model?: string;
  messages?: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }>;
}

interface FakeBatch {
  id: string;
  model: string;
  endpoint: string;
  created_at: number;
  requests: Array<{ custom_id: string; body: ChatBody }>;
  outcome: OpenRouterBatchOutcome;
  polls: number;
  status: string;
  finalized_at: number | null;
  /** Result rows of the finished items (the paginated results endpoint serves them; terminal batches only). */
  rows: unknown[];
  failed: number;
  completed: number;
}

const CHAT_ENDPOINT = '/v1/chat/completions';
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
/** Results page size bounds and list page size bounds (API reference: `limit` 1–1000 and 1–100). */
const RESULTS_MAX_LIMIT = 1_000;
const LIST_MAX_LIMIT = 100;
const LIST_DEFAULT_LIMIT = 20;
/**
 * What the fake bills per million tokens, in USD (OpenRouter credits are dollars). Deliberately not the catalog's
 * price of any model: a test that sees these figures knows the adapter used the reported `usage.cost`.
 */
export const OPENROUTER_FAKE_PRICE = { input: 0.7, output: 2.9 } as const;
/** The batch discount the fake applies to `usage.cost` of batch items. */
export const OPENROUTER_FAKE_BATCH_FACTOR = 0.5;

/**
 * OpenRouter as this project calls it with fetch, written from the API reference
 * (openrouter.ai/docs/api/api-reference/batch/*, as stored late 2026) and the Batch API quickstart:
 * - chat completions in the OpenAI shape, with `usage.cost` (the billed cost in credits = USD;
 *   openrouter.ai/docs/use-cases/usage-accounting: "Cost in credits", always included);
 * - `POST /batches` (inline `requests`, answered 202 `validating`), `GET /batches` (newest first, `limit` 1–100,
 *   `after` = previous page's `last_id`, `created_after`; list items omit `results`), `GET /batches/{id}`,
 *   `GET /batches/{id}/results` (cursor pages: `limit` 1–1000, `cursor` = previous `next_cursor`; answers
 *   `{object:'list', data, has_more, next_cursor}`) and `DELETE /batches/{id}` (terminal batches only; "Batches still
 *   in progress return 409").
 * - There is NO cancel endpoint: `POST /batches/{id}/cancel` is an unknown route (404), like any other.
 * - The batch object's inline `results` is null for expired, failed and cancelled batches; their finished items,
 *   if any, are only on the results endpoint.
 * Bearer auth; errors as `{error:{code,message}}`.
 */
export class OpenRouterFakeServer extends FakeHttpServer {
  pollsUntilEnded = 1;
  batchOutcome: OpenRouterBatchOutcome = 'completed';
  /** Each chat completion is held this long, so concurrent calls overlap observably. */
  chatLatencyMs = 0;
  /** Answer 200 with a body that is not JSON for the next n chat completions. */
  garbledResponses = 0;
  /** `false`: answers carry no `usage.cost` (as if OpenRouter left it out), so the adapter prices from its table. */
  reportsCost = true;
  /** Sum of every `usage.cost` the fake reported, in USD. */
  billedUsd = 0;
  private readonly refusals: Array<{ status: number; message: string }> = [];
  private readonly behaviours = new ItemBehaviours<OpenRouterItemBehaviour>();
  private readonly batches = new Map<string, FakeBatch>();
  private readonly seenPrefixes = new Set<string>();
  private readonly now: () => number;
  private inFlight = 0;
  private peakInFlight = 0;
  private counter = 0;

  constructor(
    readonly apiKey = 'test-openrouter-key',
    options: { now?: () => number } = {},
  ) {
    super();
    this.now = options.now ?? Date.now;
  }

  /** Matched against a batch item's custom_id, or as a substring of the request's messages. */
  setItemBehaviour(match: string, behaviour: OpenRouterItemBehaviour): void {
    this.behaviours.set(match, behaviour);
  }

  /**
   * The next batch create is refused with `status` and OpenRouter's usual error body carrying `message`. The API
   * documents no code for "this model cannot be batched", so a refusal is just a 4xx with a message.
   */
  refuseNextCreate(status: number, message: string): void {
    this.refusals.push({ status, message });
  }

  createdBatchCount(): number {
    return this.batches.size;
  }

  /** Batches that still exist (not deleted), newest first. */
  batchIds(): string[] {
    return [...this.batches.values()].reverse().map((b) => b.id);
  }

  /** Highest number of chat completions that were in flight at the same moment. */
  maxConcurrentChats(): number {
    return this.peakInFlight;
  }

  batchRequests(): Array<{ id: string; model: string; endpoint: string; requests: FakeBatch['requests'] }> {
    return [...this.batches.values()].map(({ id, model, endpoint, requests }) => ({
      id,
      model,
      endpoint,
      requests,
    }));
  }

  /**
   * The batch is cancelled by something other than this API (the status exists in the API's `BatchObjectStatus`,
   * but no endpoint of it cancels): unfinished items stay unfinished, `results` becomes null.
   */
  cancelElsewhere(id: string): void {
    const batch = this.batches.get(id);
    if (!batch || batch.finalized_at !== null) return;
    batch.status = 'cancelled';
    batch.finalized_at = Math.floor(this.now() / 1000);
  }

  protected isAuthorised(req: RecordedRequest): boolean {
    return req.headers.authorization === `Bearer ${this.apiKey}`;
  }

  protected errorTypeFor(status: number): string {
    return String(status);
  }

  protected errorBody(status: number, _type: string, message: string): unknown {
    return { error: { code: status, message } };
  }

  protected async route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const url = new URL(req.path, 'http://fake');
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/api/v1/chat/completions') return this.chat(req, res);
    if (req.method === 'POST' && path === '/api/v1/batches') return this.createBatch(req, res);
    if (req.method === 'GET' && path === '/api/v1/batches') return this.listBatches(url.searchParams, res);
    if ((match = /^\/api\/v1\/batches\/([^/]+)$/.exec(path))) {
      if (req.method === 'GET') return this.getBatch(match[1], res);
      if (req.method === 'DELETE') return this.deleteBatch(match[1], res);
    }
    if (req.method === 'GET' && (match = /^\/api\/v1\/batches\/([^/]+)\/results$/.exec(path))) {
      return this.batchResults(match[1], url.searchParams, res);
    }
    this.replyError(res, 404, '404', `no route for ${req.method} ${path}`);
  }

  private async chat(req: RecordedRequest, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if (this.chatLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chatLatencyMs));
      if (this.garbledResponses > 0) {
        this.garbledResponses -= 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>502 Bad Gateway</html>');
        return;
      }
      const body = JSON.parse(req.body.toString('utf8')) as ChatBody;
      const behaviour = this.behaviourFor(undefined, body);
      if (behaviour === 'error') {
        this.replyError(res, 400, '400', 'Provider returned error: invalid request');
        return;
      }
      this.replyJson(res, 200, this.completion(body, behaviour, 1));
    } finally {
      this.inFlight -= 1;
    }
  }

  private createBatch(req: RecordedRequest, res: ServerResponse): void {
    const body = JSON.parse(req.body.toString('utf8')) as {
      endpoint?: string;
      model?: string;
      requests?: FakeBatch['requests'];
    };
    const refusal = this.refusals.shift();
    if (refusal) return this.replyError(res, refusal.status, String(refusal.status), refusal.message);
    const requests = body.requests ?? [];
    if (body.endpoint !== CHAT_ENDPOINT || requests.length === 0 || requests.length > 5_000) {
      return this.replyError(res, 400, '400', 'endpoint must be /v1/chat/completions with 1-5000 requests');
    }
    if (new Set(requests.map((r) => r.custom_id)).size !== requests.length) {
      return this.replyError(res, 400, '400', 'custom_id values must be unique within a batch');
    }
    const id = fakeId('batch_', (this.counter += 1), 20);
    const batch: FakeBatch = {
      id,
      model: body.model ?? '',
      endpoint: body.endpoint,
      created_at: Math.floor(this.now() / 1000),
      requests,
      outcome: this.batchOutcome,
      polls: 0,
      status: 'validating',
      finalized_at: null,
      rows: [],
      failed: 0,
      completed: 0,
    };
    this.batches.set(id, batch);
    this.replyJson(res, 202, this.batchObject(batch, true));
  }

  /** Newest first; `after` continues after that batch id; `created_after` (unix seconds or ISO) is strict. */
  private listBatches(query: URLSearchParams, res: ServerResponse): void {
    const limit = Number(query.get('limit') ?? LIST_DEFAULT_LIMIT);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
      return this.replyError(res, 400, '400', 'limit must be an integer from 1 through 100');
    }
    const createdAfter = parseTimestamp(query.get('created_after'));
    let all = [...this.batches.values()].reverse();
    if (createdAfter !== undefined) all = all.filter((b) => b.created_at > createdAfter);
    const after = query.get('after');
    const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
    const page = all.slice(start, start + limit);
    this.replyJson(res, 200, {
      object: 'list',
      data: page.map((b) => this.batchObject(b, false)),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + limit < all.length,
    });
  }

  private getBatch(id: string, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, '404', `Batch ${id} not found`);
    if (batch.finalized_at === null) {
      batch.polls += 1;
      if (batch.polls >= this.pollsUntilEnded && !this.batchesHeld) this.finish(batch);
      else batch.status = 'in_progress';
    }
    this.replyJson(res, 200, this.batchObject(batch, true));
  }

  /** Cursor pages of the finished items' rows; the cursor is opaque (here: base64 of the next offset). */
  private batchResults(id: string, query: URLSearchParams, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, '404', `Batch ${id} not found`);
    if (!TERMINAL.has(batch.status)) {
      // Not documented; the reference describes the endpoint "for a finished batch" only.
      return this.replyError(res, 409, '409', `Batch ${id} has not finished`);
    }
    const limit = Number(query.get('limit') ?? RESULTS_MAX_LIMIT);
    if (!Number.isInteger(limit) || limit < 1 || limit > RESULTS_MAX_LIMIT) {
      return this.replyError(res, 400, '400', 'limit must be an integer from 1 through 1000');
    }
    const cursor = query.get('cursor');
    const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) return this.replyError(res, 400, '400', 'invalid cursor');
    const data = batch.rows.slice(offset, offset + limit);
    const more = offset + limit < batch.rows.length;
    this.replyJson(res, 200, {
      object: 'list',
      data,
      has_more: more,
      next_cursor: more ? Buffer.from(String(offset + limit), 'utf8').toString('base64url') : null,
    });
  }

  private deleteBatch(id: string, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, '404', `Batch ${id} not found`);
    if (!TERMINAL.has(batch.status)) {
      return this.replyError(
        res,
        409,
        '409',
        `Batch ${id} is still ${batch.status}: only finished batches can be deleted`,
      );
    }
    this.batches.delete(id);
    this.replyJson(res, 200, { id, object: 'batch', deletion: { openrouter: 'deleted' } });
  }

  private finish(batch: FakeBatch): void {
    batch.finalized_at = Math.floor(this.now() / 1000);
    if (batch.outcome === 'failed') {
      batch.status = 'failed';
      return;
    }
    const finished =
      batch.outcome === 'expired'
        ? batch.requests.slice(0, Math.floor(batch.requests.length / 2))
        : batch.requests;
    batch.status = batch.outcome;
    batch.rows = this.inResultOrder(finished).map((request) => this.batchResult(batch, request));
    batch.failed = batch.rows.filter((r) => (r as { error: unknown }).error !== null).length;
    batch.completed = batch.rows.length - batch.failed;
  }

  private batchResult(batch: FakeBatch, request: FakeBatch['requests'][number]): unknown {
    const behaviour = this.behaviourFor(request.custom_id, request.body);
    const id = fakeId('res_', (this.counter += 1), 16);
    if (behaviour === 'error') {
      return {
        id,
        custom_id: request.custom_id,
        response: null,
        error: {
          message: 'Provider returned error: invalid request',
          type: 'invalid_request_error',
          param: null,
        },
      };
    }
    const body = this.completion(
      { ...request.body, model: batch.model },
      behaviour,
      OPENROUTER_FAKE_BATCH_FACTOR,
    );
    return {
      id,
      custom_id: request.custom_id,
      response: { status_code: 200, request_id: id, body },
      error: null,
    };
  }

  /** `withResults`: GET of one batch (inline results once completed; null for every other status); list items omit them. */
  private batchObject(batch: FakeBatch, withResults: boolean): Record<string, unknown> {
    return {
      id: batch.id,
      object: 'batch',
      endpoint: batch.endpoint,
      model: batch.model,
      provider: 'FakeProvider',
      completion_window: '24h',
      status: batch.status,
      created_at: batch.created_at,
      finalized_at: batch.finalized_at,
      expires_at: batch.created_at + 24 * 3600,
      request_counts: { total: batch.requests.length, completed: batch.completed, failed: batch.failed },
      error: batch.status === 'failed' ? { message: 'Batch failed at the upstream provider' } : null,
      ...(withResults ? { results: batch.status === 'completed' ? batch.rows : null } : {}),
      usage: null,
    };
  }

  private completion(
    body: ChatBody,
    behaviour: OpenRouterItemBehaviour,
    priceFactor: number,
  ): Record<string, unknown> {
    const messages = body.messages ?? [];
    const texts = messages.flatMap((m) => textsOf(m.content));
    const text = texts.join('\n');
    // System prompt + shared instructions: the prefix a provider's prompt cache would recognise.
    const prefix = texts.slice(0, 2).join('\n');
    const cached = this.seenPrefixes.has(prefix) ? approximateTokens(prefix) : 0;
    this.seenPrefixes.add(prefix);
    const content =
      behaviour === 'malformed' ? 'I think Essay A is better.' : JSON.stringify(judgeComparisonText(text));
    const prompt = approximateTokens(text);
    const completion = approximateTokens(content);
    const cost =
      Math.round(
        ((prompt * OPENROUTER_FAKE_PRICE.input + completion * OPENROUTER_FAKE_PRICE.output) / 1e6) *
          priceFactor *
          1e9,
      ) / 1e9;
    if (this.reportsCost) this.billedUsd += cost;
    return {
      id: fakeId('gen-', (this.counter += 1), 20),
      provider: 'FakeProvider',
      model: openRouterServedModel(String(body.model)),
      object: 'chat.completion',
      created: Math.floor(this.now() / 1000),
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          native_finish_reason: 'stop',
          message: { role: 'assistant', content, refusal: null },
        },
      ],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: cached },
        ...(this.reportsCost ? { cost, cost_details: { upstream_inference_cost: null } } : {}),
      },
    };
  }

  private behaviourFor(customId: string | undefined, body: ChatBody): OpenRouterItemBehaviour {
    const text = (body.messages ?? []).flatMap((m) => textsOf(m.content)).join('\n');
    return this.behaviours.of(customId, text);
  }
}

function textsOf(content: NonNullable<ChatBody['messages']>[number]['content']): string[] {
  return typeof content === 'string' ? [content] : content.map((part) => part.text ?? '');
}

/** `created_after`: unix seconds or an ISO-8601 timestamp (the SDKs' BatchListTimestamp). */
function parseTimestamp(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
