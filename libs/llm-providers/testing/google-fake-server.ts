import type { ServerResponse } from 'node:http';
import { judgeComparisonText } from './fake-judge.js';
import { geminiModelVersion } from './served-models.js';
import {
  approximateTokens,
  FakeHttpServer,
  ItemBehaviours,
  fakeId,
  type RecordedRequest,
} from './fake-http-server.js';

/** How the fake answers one request: matched by batch key, or by a substring of the request's text. */
export type GoogleItemBehaviour = 'ok' | 'error' | 'malformed';
/** How a batch ends once polled `pollsUntilEnded` times. */
export type GoogleBatchOutcome = 'succeeded' | 'expired' | 'failed';

interface FakeBatch {
  id: string;
  model: string;
  displayName: string;
  createTime: string;
  items: Array<{ key: string; request: Record<string, unknown> }>;
  fromFile: boolean;
  outcome: GoogleBatchOutcome;
  polls: number;
  state: string;
  endTime?: string;
  output?: Record<string, unknown>;
  stats?: Record<string, string>;
}

const OPERATION_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/**
 * Gemini API (v1beta) as `@google/genai` 2.x calls it: generateContent, batchGenerateContent (inline or from an
 * uploaded JSONL file), batches get/list/cancel, the resumable upload protocol and file download. Errors use Google's
 * `{error:{code,message,status}}` body; a 429 carries a RetryInfo `retryDelay` (Gemini sends no Retry-After).
 */
export class GoogleFakeServer extends FakeHttpServer {
  /** GETs of a batch before it ends (the first GET that reaches this count ends it). */
  pollsUntilEnded = 1;
  /** Outcome of batches created from now on. */
  batchOutcome: GoogleBatchOutcome = 'succeeded';
  /** Answer with HTTP 200 and a body that is not JSON (a broken proxy) for the next n generateContent calls. */
  garbledResponses = 0;
  /** The next n batch creates succeed but answer HTTP 500 (the reply is lost after the job was created). */
  lostCreateReplies = 0;
  /**
   * The next n created jobs expire (the 48 h pass while pending or running) and, as Gemini documents, return no
   * results at all: a Gemini expiry leaves every item unfinished (ai.google.dev/gemini-api/docs/batch-mode).
   */
  expiringBatches = 0;
  /**
   * Enqueued tokens per model the project may have in batch mode (undefined: no limit). A create that would
   * pass it answers 429 RESOURCE_EXHAUSTED (ai.google.dev/gemini-api/docs/rate-limits, "Batch Mode": enqueued
   * tokens per model; the 429 on create reported in discuss.ai.google.dev thread 112624). Nothing is created.
   */
  enqueuedTokenLimit?: number;
  private readonly batches = new Map<string, FakeBatch>();
  private readonly files = new Map<string, { name: string; content: string; mimeType: string }>();
  private readonly uploads = new Map<string, { displayName: string; mimeType: string }>();
  private readonly behaviours = new ItemBehaviours<GoogleItemBehaviour>();
  private readonly seenPrefixes = new Set<string>();
  private counter = 0;

  constructor(readonly apiKey = 'test-gemini-key') {
    super();
  }

  setItemBehaviour(match: string, behaviour: GoogleItemBehaviour): void {
    this.behaviours.set(match, behaviour);
  }

  createdBatchCount(): number {
    return this.batches.size;
  }

  /** Tokens of the model's jobs not yet ended. */
  enqueuedTokens(model: string): number {
    let total = 0;
    for (const batch of this.batches.values()) {
      if (!batch.endTime && batch.model === `models/${model}`) {
        total += batch.items.reduce((sum, item) => sum + requestTokens(item.request), 0);
      }
    }
    return total;
  }

  uploadedFileCount(): number {
    return this.files.size;
  }

  /** Ends a batch as expired now, whatever its outcome (the 48 h limit passing). */
  expireBatch(name: string): void {
    const batch = this.batches.get(name.replace(/^batches\//, ''));
    if (batch) this.finish(batch, 'expired');
  }

  /** Request bodies of the batches created, in creation order (for request-mapping assertions). */
  batchRequests(): Array<{ model: string; fromFile: boolean; items: FakeBatch['items'] }> {
    return [...this.batches.values()].map(({ model, fromFile, items }) => ({ model, fromFile, items }));
  }

  protected isAuthorised(req: RecordedRequest): boolean {
    return req.headers['x-goog-api-key'] === this.apiKey;
  }

  protected errorTypeFor(status: number): string {
    return STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  }

  protected errorBody(status: number, type: string, message: string): unknown {
    const details =
      status === 429
        ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0s' }]
        : undefined;
    return { error: { code: status, message, status: type, ...(details ? { details } : {}) } };
  }

  protected route(req: RecordedRequest, res: ServerResponse): void {
    const url = new URL(req.path, 'http://fake');
    const path = decodeURIComponent(url.pathname);
    let match: RegExpExecArray | null;
    if (req.method === 'POST' && (match = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path))) {
      return this.generateContent(match[1], req, res);
    }
    if (req.method === 'POST' && (match = /^\/v1beta\/models\/([^/:]+):batchGenerateContent$/.exec(path))) {
      return this.createBatch(match[1], req, res);
    }
    if (req.method === 'GET' && path === '/v1beta/batches') return this.listBatches(url, res);
    if (req.method === 'GET' && (match = /^\/v1beta\/batches\/([^/:]+)$/.exec(path))) {
      return this.getBatch(match[1], res);
    }
    if (req.method === 'POST' && (match = /^\/v1beta\/batches\/([^/:]+):cancel$/.exec(path))) {
      return this.cancelBatch(match[1], res);
    }
    if (req.method === 'POST' && path === '/upload/v1beta/files') return this.upload(req, url, res);
    if (req.method === 'GET' && (match = /^(?:\/download)?\/v1beta\/files\/([^/:]+):download$/.exec(path))) {
      return this.download(match[1], res);
    }
    this.replyError(res, 404, 'NOT_FOUND', `no route for ${req.method} ${path}`);
  }

  private generateContent(model: string, req: RecordedRequest, res: ServerResponse): void {
    if (this.garbledResponses > 0) {
      this.garbledResponses -= 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>upstream connect error</html>');
      return;
    }
    const request = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
    const behaviour = this.behaviourFor(undefined, request);
    if (behaviour === 'error') {
      this.replyError(res, 400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
      return;
    }
    this.replyJson(res, 200, this.answer(model, request, behaviour));
  }

  private createBatch(model: string, req: RecordedRequest, res: ServerResponse): void {
    const batch = (JSON.parse(req.body.toString('utf8')) as { batch?: Record<string, unknown> }).batch ?? {};
    const input = (batch.inputConfig ?? {}) as { fileName?: string; requests?: { requests?: unknown[] } };
    let items: FakeBatch['items'];
    if (input.fileName) {
      const file = this.files.get(input.fileName.replace(/^files\//, ''));
      if (!file) return this.replyError(res, 404, 'NOT_FOUND', `File ${input.fileName} not found.`);
      items = file.content
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as { key: string; request: Record<string, unknown> });
    } else {
      items = (input.requests?.requests ?? []).map((entry) => {
        const typed = entry as { request: Record<string, unknown>; metadata?: { key?: string } };
        return { key: String(typed.metadata?.key ?? ''), request: typed.request };
      });
    }
    if (items.length === 0) return this.replyError(res, 400, 'INVALID_ARGUMENT', 'Batch has no requests.');
    const tokens = items.reduce((sum, item) => sum + requestTokens(item.request), 0);
    if (
      this.enqueuedTokenLimit !== undefined &&
      this.enqueuedTokens(model) + tokens > this.enqueuedTokenLimit
    ) {
      return this.replyError(
        res,
        429,
        'RESOURCE_EXHAUSTED',
        `You exceeded your current quota: enqueued tokens for ${model} would pass ${this.enqueuedTokenLimit}. ` +
          'Please retry once running batch jobs have finished.',
      );
    }
    const id = fakeId('', (this.counter += 1), 16).toLowerCase();
    const now = new Date().toISOString();
    const fake: FakeBatch = {
      id,
      model: `models/${model}`,
      displayName: String(batch.displayName ?? ''),
      createTime: now,
      items,
      fromFile: Boolean(input.fileName),
      outcome: this.expiringBatches > 0 ? 'expired' : this.batchOutcome,
      polls: 0,
      state: 'BATCH_STATE_PENDING',
    };
    if (this.expiringBatches > 0) this.expiringBatches -= 1;
    this.batches.set(id, fake);
    if (this.lostCreateReplies > 0) {
      this.lostCreateReplies -= 1;
      return this.replyError(res, 500, this.errorTypeFor(500), 'Internal error (job created anyway).');
    }
    this.replyJson(res, 200, this.operation(fake));
  }

  /**
   * `GET /v1beta/batches` (operations.list): newest first, `pageSize` (default 50, at most 1000) operations from the
   * opaque `pageToken`, `nextPageToken` only when more follow. Listing does not count as a poll.
   */
  private listBatches(url: URL, res: ServerResponse): void {
    const pageSize = Math.min(Number(url.searchParams.get('pageSize') ?? 50) || 50, 1000);
    const token = url.searchParams.get('pageToken');
    const start = token === null || token === '' ? 0 : decodePageToken(token);
    if (start === undefined) return this.replyError(res, 400, 'INVALID_ARGUMENT', 'Invalid page token.');
    const newestFirst = [...this.batches.values()].reverse();
    newestFirst.sort((a, b) => Date.parse(b.createTime) - Date.parse(a.createTime));
    const page = newestFirst.slice(start, start + pageSize);
    const next = start + page.length;
    this.replyJson(res, 200, {
      operations: page.map((batch) => this.operation(batch)),
      ...(next < newestFirst.length ? { nextPageToken: encodePageToken(next) } : {}),
    });
  }

  private getBatch(id: string, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, 'NOT_FOUND', `Batch batches/${id} not found.`);
    if (!batch.endTime) {
      batch.polls += 1;
      if (batch.polls >= this.pollsUntilEnded && !this.batchesHeld) this.finish(batch, batch.outcome);
      else batch.state = 'BATCH_STATE_RUNNING';
    }
    this.replyJson(res, 200, this.operation(batch));
  }

  private cancelBatch(id: string, res: ServerResponse): void {
    const batch = this.batches.get(id);
    if (!batch) return this.replyError(res, 404, 'NOT_FOUND', `Batch batches/${id} not found.`);
    if (!batch.endTime) {
      batch.state = 'BATCH_STATE_CANCELLED';
      batch.endTime = new Date().toISOString();
    }
    this.replyJson(res, 200, {});
  }

  /** Resumable upload: `start` hands out an upload URL, `upload, finalize` stores the bytes and returns the File. */
  private upload(req: RecordedRequest, url: URL, res: ServerResponse): void {
    const command = String(req.headers['x-goog-upload-command'] ?? '');
    if (command === 'start') {
      if (req.headers['x-goog-upload-protocol'] !== 'resumable') {
        return this.replyError(
          res,
          400,
          'INVALID_ARGUMENT',
          'Only the resumable upload protocol is supported.',
        );
      }
      const uploadId = fakeId('upl', (this.counter += 1), 20);
      const body = JSON.parse(req.body.toString('utf8') || '{}') as { file?: { displayName?: string } };
      this.uploads.set(uploadId, {
        displayName: body.file?.displayName ?? '',
        mimeType: String(req.headers['x-goog-upload-header-content-type'] ?? 'application/octet-stream'),
      });
      const uploadUrl = `${this.url}/upload/v1beta/files?upload_id=${uploadId}&upload_protocol=resumable`;
      res.writeHead(200, { 'x-goog-upload-url': uploadUrl, 'x-goog-upload-status': 'active' });
      res.end();
      return;
    }
    const pending = this.uploads.get(url.searchParams.get('upload_id') ?? '');
    if (!pending || !command.includes('finalize')) {
      return this.replyError(res, 400, 'INVALID_ARGUMENT', 'Unknown upload session or missing finalize.');
    }
    const id = fakeId('', (this.counter += 1), 12).toLowerCase();
    const content = req.body.toString('utf8');
    this.files.set(id, { name: `files/${id}`, content, mimeType: pending.mimeType });
    const now = new Date().toISOString();
    this.replyJson(
      res,
      200,
      {
        file: {
          name: `files/${id}`,
          displayName: pending.displayName,
          mimeType: pending.mimeType,
          sizeBytes: String(req.body.length),
          createTime: now,
          updateTime: now,
          expirationTime: new Date(Date.now() + 48 * 3_600_000).toISOString(),
          uri: `${this.url}/v1beta/files/${id}`,
          state: 'ACTIVE',
          source: 'UPLOADED',
        },
      },
      { 'x-goog-upload-status': 'final' },
    );
  }

  private download(id: string, res: ServerResponse): void {
    const file = this.files.get(id);
    if (!file) return this.replyError(res, 404, 'NOT_FOUND', `File files/${id} not found.`);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(file.content);
  }

  private finish(batch: FakeBatch, outcome: GoogleBatchOutcome): void {
    batch.endTime = new Date().toISOString();
    const total = String(batch.items.length);
    if (outcome !== 'succeeded') {
      batch.state = outcome === 'expired' ? 'BATCH_STATE_EXPIRED' : 'BATCH_STATE_FAILED';
      batch.stats = { requestCount: total, pendingRequestCount: total };
      return;
    }
    batch.state = 'BATCH_STATE_SUCCEEDED';
    // Both the inline list and the file come back in a scrambled order: results must be matched by key.
    const ordered = this.inResultOrder(batch.items);
    const results = ordered.map((item) => this.batchResult(batch, item));
    const failed = results.filter((r) => 'error' in r).length;
    batch.stats = {
      requestCount: total,
      successfulRequestCount: String(results.length - failed),
      ...(failed ? { failedRequestCount: String(failed) } : {}),
    };
    if (batch.fromFile) {
      const id = `batch-${batch.id}`;
      const content = results.map((r) => JSON.stringify(r)).join('\n') + '\n';
      this.files.set(id, { name: `files/${id}`, content, mimeType: 'application/jsonl' });
      batch.output = { responsesFile: `files/${id}` };
    } else {
      const inlined = results.map(({ key, ...rest }) => ({ ...rest, metadata: { key } }));
      batch.output = { inlinedResponses: { inlinedResponses: inlined } };
    }
  }

  private batchResult(batch: FakeBatch, item: FakeBatch['items'][number]): Record<string, unknown> {
    const behaviour = this.behaviourFor(item.key, item.request);
    if (behaviour === 'error') {
      return { key: item.key, error: { code: 3, message: 'Request contains an invalid argument.' } };
    }
    return {
      key: item.key,
      response: this.answer(batch.model.replace(/^models\//, ''), item.request, behaviour),
    };
  }

  private operation(batch: FakeBatch): Record<string, unknown> {
    const done = batch.endTime !== undefined;
    const metadata = {
      '@type': OPERATION_TYPE,
      model: batch.model,
      displayName: batch.displayName,
      createTime: batch.createTime,
      updateTime: batch.endTime ?? batch.createTime,
      ...(batch.endTime ? { endTime: batch.endTime } : {}),
      batchStats: batch.stats ?? {
        requestCount: String(batch.items.length),
        pendingRequestCount: String(batch.items.length),
      },
      state: batch.state,
      name: `batches/${batch.id}`,
      ...(batch.output ? { output: batch.output } : {}),
    };
    return {
      name: `batches/${batch.id}`,
      metadata,
      ...(done ? { done: true } : {}),
      ...(batch.output ? { response: { '@type': `${OPERATION_TYPE}Output`, ...batch.output } } : {}),
    };
  }

  private answer(model: string, request: Record<string, unknown>, behaviour: GoogleItemBehaviour) {
    const text = requestText(request);
    const prefix = sharedPrefix(request);
    const cached = this.seenPrefixes.has(prefix) ? approximateTokens(prefix) : 0;
    this.seenPrefixes.add(prefix);
    const answer =
      behaviour === 'malformed'
        ? '{"winner": "Essay C", "justification": '
        : JSON.stringify(judgeComparisonText(text));
    const promptTokens = approximateTokens(text);
    const answerTokens = approximateTokens(answer);
    const config = (request.generationConfig ?? {}) as Record<string, unknown>;
    const thoughts = thinkingTokens(config.thinkingConfig as Record<string, unknown> | undefined);
    const limit = typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : Infinity;
    // Thinking counts against maxOutputTokens: over it, the answer is cut (MAX_TOKENS, no answer part).
    const truncated = thoughts + answerTokens > limit;
    const thoughtCount = truncated ? Math.min(thoughts, limit as number) : thoughts;
    const outputTokens = truncated ? (limit as number) - thoughtCount : answerTokens;
    const content = truncated ? { role: 'model' } : { parts: [{ text: answer }], role: 'model' };
    return {
      candidates: [{ content, finishReason: truncated ? 'MAX_TOKENS' : 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: promptTokens,
        candidatesTokenCount: outputTokens,
        ...(thoughtCount ? { thoughtsTokenCount: thoughtCount } : {}),
        totalTokenCount: promptTokens + outputTokens + thoughtCount,
        ...(cached ? { cachedContentTokenCount: cached } : {}),
      },
      modelVersion: geminiModelVersion(model),
      responseId: fakeId('resp', (this.counter += 1), 16),
    };
  }

  private behaviourFor(key: string | undefined, request: Record<string, unknown>): GoogleItemBehaviour {
    return this.behaviours.of(key, requestText(request));
  }
}

function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

function textsOf(content: unknown): string[] {
  const parts = (content as { parts?: Array<{ text?: string }> } | undefined)?.parts ?? [];
  return parts.map((part) => part.text ?? '');
}

/**
 * Thinking tokens the fake model spends: Gemini 2.5/3 models think by default, up to 8,192 tokens on 2.5 Flash
 * (python-genai#782); a `thinkingBudget` caps it (0 turns it off), a `thinkingLevel` sets it roughly. The
 * amounts are the fake's own.
 */
const LEVEL_TOKENS: Record<string, number> = { MINIMAL: 0, LOW: 256, MEDIUM: 1_024, HIGH: 4_096 };
const DEFAULT_THINKING_TOKENS = 8_192;

function thinkingTokens(thinking: Record<string, unknown> | undefined): number {
  if (typeof thinking?.thinkingBudget === 'number') {
    return thinking.thinkingBudget < 0
      ? DEFAULT_THINKING_TOKENS
      : Math.min(thinking.thinkingBudget, DEFAULT_THINKING_TOKENS);
  }
  if (typeof thinking?.thinkingLevel === 'string') return LEVEL_TOKENS[thinking.thinkingLevel] ?? 0;
  return DEFAULT_THINKING_TOKENS;
}

/** Tokens one request enqueues, as the fake counts them: its text (4 chars a token) + its output limit. */
function requestTokens(request: Record<string, unknown>): number {
  const config = (request.generationConfig ?? {}) as Record<string, unknown>;
  const output = typeof config.maxOutputTokens === 'number' ? config.maxOutputTokens : 0;
  return approximateTokens(requestText(request)) + output;
}

function requestText(request: Record<string, unknown>): string {
  const contents = (request.contents as unknown[] | undefined) ?? [];
  return [...textsOf(request.systemInstruction), ...contents.flatMap(textsOf)].join('\n');
}

/** System instruction + first part: what Gemini's implicit cache would recognise across an assessment. */
function sharedPrefix(request: Record<string, unknown>): string {
  const first = textsOf(((request.contents as unknown[] | undefined) ?? [])[0])[0] ?? '';
  return [...textsOf(request.systemInstruction), first].join('\n');
}
