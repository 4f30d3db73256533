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
/** `expired` returns the first half of the results and leaves the rest unfinished, as a lapsed window does. */
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
  results: unknown[] | null;
  failed: number;
  completed: number;
}

/** The code the fake (and the provider) use for "this model has no batch endpoint". */
export const OPENROUTER_BATCH_UNSUPPORTED_REASON = 'batch_not_supported';
const CHAT_ENDPOINT = '/v1/chat/completions';

/**
 * OpenRouter as this project calls it with fetch: chat completions (OpenAI shape, `usage.cost`) and the batch API
 * (`POST /batches` inline requests → 202 `validating`; `GET /batches/{id}` with inline `results` once terminal;
 * `POST /batches/{id}/cancel`). Bearer auth; errors as `{error:{code,message,metadata?}}`.
 */
export class OpenRouterFakeServer extends FakeHttpServer {
  pollsUntilEnded = 1;
  batchOutcome: OpenRouterBatchOutcome = 'completed';
  /** Each chat completion is held this long, so concurrent calls overlap observably. */
  chatLatencyMs = 0;
  /** Answer 200 with a body that is not JSON for the next n chat completions. */
  garbledResponses = 0;
  private readonly unsupportedModels = new Set<string>();
  private readonly behaviours = new ItemBehaviours<OpenRouterItemBehaviour>();
  private readonly batches = new Map<string, FakeBatch>();
  private readonly seenPrefixes = new Set<string>();
  private inFlight = 0;
  private peakInFlight = 0;
  private counter = 0;

  constructor(readonly apiKey = 'test-openrouter-key') {
    super();
  }

  /** Matched against a batch item's custom_id, or as a substring of the request's messages. */
  setItemBehaviour(match: string, behaviour: OpenRouterItemBehaviour): void {
    this.behaviours.set(match, behaviour);
  }

  /** Batch submissions for `model` are refused as unsupported from now on. */
  refuseBatchFor(model: string): void {
    this.unsupportedModels.add(model);
  }

  createdBatchCount(): number {
    return this.batches.size;
  }

  /** Highest number of chat completions that were in flight at the same moment. */
  maxConcurrentChats(): number {
    return this.peakInFlight;
  }

  batchRequests(): Array<{ model: string; endpoint: string; requests: FakeBatch['requests'] }> {
    return [...this.batches.values()].map(({ model, endpoint, requests }) => ({ model, endpoint, requests }));
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
    const path = new URL(req.path, 'http://fake').pathname;
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/api/v1/chat/completions') return this.chat(req, res);
    if (req.method === 'POST' && path === '/api/v1/batches') return this.createBatch(req, res);
    if (req.method === 'GET' && (match = /^\/api\/v1\/batches\/([^/]+)$/.exec(path))) {
      return this.getBatch(match[1], res);
    }
    if (req.method === 'POST' && (match = /^\/api\/v1\/batches\/([^/]+)\/cancel$/.exec(path))) {
      return this.cancelBatch(match[1], res);
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
      this.replyJson(res, 200, this.completion(body, behaviour));
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
    const model = body.model ?? '';
    if (this.unsupportedModels.has(model)) {
      return this.replyJson(res, 400, {
        error: {
          code: 400,
          message: `No batch-capable endpoint for model ${model}`,
          metadata: { reason: OPENROUTER_BATCH_UNSUPPORTED_REASON },
        },
      });
    }
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
      model,
      endpoint: body.endpoint,
      created_at: Math.floor(Date.now() / 1000),
      requests,
      outcome: this.batchOutcome,
      polls: 0,
      status: 'validating',
      finalized_at: null,
      results: null,
      failed: 0,
      completed: 0,
    };
    this.batches.set(id, batch);
    this.replyJson(res, 202, this.batchObject(batch));
  }

  private getBatch(id: string, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, '404', `Batch ${id} not found`);
    if (batch.finalized_at === null) {
      batch.polls += 1;
      if (batch.polls >= this.pollsUntilEnded && !this.batchesHeld) this.finish(batch);
      else batch.status = 'in_progress';
    }
    this.replyJson(res, 200, this.batchObject(batch));
  }

  private cancelBatch(id: string, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, '404', `Batch ${id} not found`);
    if (batch.finalized_at === null) {
      batch.status = 'cancelled';
      batch.finalized_at = Math.floor(Date.now() / 1000);
      batch.results = [];
    }
    this.replyJson(res, 200, this.batchObject(batch));
  }

  private finish(batch: FakeBatch): void {
    batch.finalized_at = Math.floor(Date.now() / 1000);
    if (batch.outcome === 'failed') {
      batch.status = 'failed';
      batch.results = [];
      return;
    }
    const finished =
      batch.outcome === 'expired'
        ? batch.requests.slice(0, Math.floor(batch.requests.length / 2))
        : batch.requests;
    batch.status = batch.outcome;
    batch.results = this.inResultOrder(finished).map((request) => this.batchResult(batch, request));
    batch.failed = batch.results.filter((r) => (r as { error: unknown }).error !== null).length;
    batch.completed = batch.results.length - batch.failed;
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
    const body = this.completion({ ...request.body, model: batch.model }, behaviour);
    return {
      id,
      custom_id: request.custom_id,
      response: { status_code: 200, request_id: id, body },
      error: null,
    };
  }

  private batchObject(batch: FakeBatch): Record<string, unknown> {
    const terminal = batch.finalized_at !== null;
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
      results: terminal ? batch.results : null,
      usage: null,
    };
  }

  private completion(body: ChatBody, behaviour: OpenRouterItemBehaviour): Record<string, unknown> {
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
    return {
      id: fakeId('gen-', (this.counter += 1), 20),
      provider: 'FakeProvider',
      model: openRouterServedModel(String(body.model)),
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
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
