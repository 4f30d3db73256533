import type { ServerResponse } from 'node:http';
import {
  FakeHttpServer,
  ItemBehaviours,
  approximateTokens,
  fakeId,
  type FakeItemBehaviour,
  type RecordedRequest,
} from './fake-http-server.js';
import {
  ENDPOINTS,
  batchListPage,
  lineTokens,
  batchObject,
  cacheablePrefix,
  chatCompletion,
  fileObject,
  parseJson,
  requestText,
  validateBatchLines,
  validateBody,
  type FakeBatch,
  type FakeFile,
  type Json,
  type ValidationProblem,
  unsupportedParameter,
} from './openai-fake-wire.js';

export interface OpenAIFakeOptions {
  apiKey?: string;
  /** Retrieves before a batch finishes (default 1: the first poll after validation sees it finished). */
  pollsUntilEnded?: number;
  /** Unix seconds. */
  now?: () => number;
}

/** States in which a batch's tokens count against the organisation's enqueued-token limit of its model. */
const ENQUEUED_STATES = new Set(['in_progress', 'finalizing']);

/**
 * OpenAI Files + Batch + Chat Completions API as the official SDK 6.x speaks it: Bearer auth, multipart upload of
 * a JSONL input file, `validating → in_progress → completed|expired|failed`, `cancelling → cancelled`, the
 * cursor-paged batch list (newest first), unix-second timestamps, output and error files whose lines come back
 * scrambled, per-item non-200 responses, `batch_expired` lines for work the window did not reach.
 */
export class OpenAIFakeServer extends FakeHttpServer {
  readonly apiKey: string;
  pollsUntilEnded: number;
  /**
   * The organisation's enqueued-token limit per model (undefined: none). At validation a batch whose tokens,
   * added to those of the model's batches in progress, pass it fails as a whole: `failed`, with
   * `errors.data[0].code` `token_limit_exceeded` (openai-python#2084; the same error on Azure OpenAI,
   * learn.microsoft.com Q&A 2285577). Nothing of it runs.
   */
  enqueuedTokenLimit?: number;
  /** Tokens other users of the organisation hold in the queue, per model (see occupyQueue). */
  private readonly foreignTokens = new Map<string, number>();
  private peakTokens = 0;
  /**
   * When set, file contents are sent in writes of this many bytes, each after a turn of the event loop, so the
   * client receives a results file in many small chunks (lines and UTF-8 characters cut anywhere).
   */
  downloadChunkBytes?: number;
  readonly behaviours = new ItemBehaviours();
  private readonly now: () => number;
  private readonly files = new Map<string, FakeFile>();
  private readonly batches = new Map<string, FakeBatch>();
  private readonly cachedPrefixes = new Set<string>();
  private rejectNext?: ValidationProblem;
  private lostCreateReplies = 0;
  private halfExpiring = 0;
  private ids = 0;

  constructor(options: OpenAIFakeOptions = {}) {
    super();
    this.apiKey = options.apiKey ?? 'sk-proj-fake-key';
    this.pollsUntilEnded = options.pollsUntilEnded ?? 1;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** `customIdOrMarker`: a batch custom_id, or any text inside the request (e.g. a marker in an essay). */
  setItemBehaviour(customIdOrMarker: string, behaviour: FakeItemBehaviour): void {
    this.behaviours.set(customIdOrMarker, behaviour);
  }

  /** The next created batch fails validation with this problem (`errors.data[0]`). */
  failNextBatchValidation(message = 'Model mismatch across requests', code = 'invalid_request'): void {
    this.rejectNext = { code, message, param: 'body.model', line: 1 };
  }

  /** The next `count` batch creates succeed but answer `500` (the reply is lost after the batch was created). */
  loseNextCreateReply(count = 1): void {
    this.lostCreateReplies += count;
  }

  /**
   * The next `count` created batches run out of their window halfway: the first half of their lines finish, the
   * second half never starts. The batch ends `expired` with an output file holding the finished lines and an error
   * file with a `batch_expired` line for each other one; finished lines are billed (platform.openai.com/docs/
   * guides/batch, "Batch expiration").
   */
  expireHalfOfNextBatch(count = 1): void {
    this.halfExpiring += count;
  }

  /** Another user of the same organisation holds `tokens` of `model`'s queue until released (0). */
  occupyQueue(model: string, tokens: number): void {
    this.foreignTokens.set(model, tokens);
  }

  /** The most tokens of one model the queue ever held at once (ours and other users'). */
  peakEnqueuedTokens(): number {
    return this.peakTokens;
  }

  /** Tokens the model's queue holds now. */
  enqueuedTokens(model: string): number {
    let total = this.foreignTokens.get(model) ?? 0;
    for (const batch of this.batches.values()) {
      if (ENQUEUED_STATES.has(batch.status) && batchModel(batch) === model)
        total += batch.enqueuedTokens ?? 0;
    }
    return total;
  }

  createdBatchCount(): number {
    return this.batches.size;
  }

  /**
   * Releases held batches and ends every running one now, its output and error files written, as OpenAI has when
   * it sends `batch.completed`. (Otherwise a batch ends at its next retrieve, whose answer then waits for the
   * files to be written: a benchmark timing from the provider's end would count that as the client's time.)
   */
  endRunningBatches(): void {
    this.releaseBatches();
    for (const batch of this.batches.values()) {
      if (batch.status === 'validating') this.validate(batch);
      if (batch.status === 'in_progress') this.finish(batch);
    }
  }

  /** The parsed input lines of each created batch, in creation order. */
  submittedBatches(): Array<{ id: string; metadata: Json | null; lines: Json[] }> {
    return [...this.batches.values()].map((b) => ({ id: b.id, metadata: b.metadata, lines: b.lines }));
  }

  /** Size in bytes of every uploaded input file, in upload order. */
  uploadedFileBytes(): number[] {
    return [...this.files.values()]
      .filter((f) => f.purpose === 'batch')
      .map((f) => Buffer.byteLength(f.content, 'utf8'));
  }

  /** Bodies of individual `POST /v1/chat/completions` calls that reached the router. */
  completionBodies(): Json[] {
    return this.requestLog
      .filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions')
      .map((r) => JSON.parse(r.body.toString('utf8')) as Json);
  }

  protected isAuthorised(req: RecordedRequest): boolean {
    return req.headers.authorization === `Bearer ${this.apiKey}`;
  }

  protected errorTypeFor(status: number): string {
    if (status === 429) return 'requests';
    return status >= 500 ? 'server_error' : 'invalid_request_error';
  }

  protected errorBody(status: number, type: string, message: string): unknown {
    const code = status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null;
    return { error: { message, type, param: null, code } };
  }

  protected async route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const path = req.path.split('?')[0];
    const fileContent = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
    const batchPath = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (req.method === 'POST' && path === '/v1/chat/completions') return this.chatCompletion(req, res);
    if (req.method === 'POST' && path === '/v1/files') return this.uploadFile(req, res);
    if (req.method === 'GET' && fileContent) return this.fileContent(fileContent[1], res);
    if (req.method === 'POST' && path === '/v1/batches') return this.createBatch(req, res);
    if (req.method === 'GET' && path === '/v1/batches') return this.listBatches(req, res);
    if (batchPath) {
      const batch = this.batches.get(batchPath[1]);
      if (!batch)
        return this.replyError(
          res,
          404,
          'invalid_request_error',
          `No batch found with id '${batchPath[1]}'.`,
        );
      if (req.method === 'GET' && !batchPath[2]) return this.retrieveBatch(batch, res);
      if (req.method === 'POST' && batchPath[2]) return this.cancelBatch(batch, res);
    }
    this.replyError(res, 404, 'invalid_request_error', `Invalid URL (${req.method} ${path})`);
  }

  private chatCompletion(req: RecordedRequest, res: ServerResponse): void {
    const body = parseJson(req.body.toString('utf8'));
    const problem = validateBody(body);
    if (problem) return this.replyError(res, 400, 'invalid_request_error', problem);
    const unsupported = unsupportedParameter(body!);
    if (unsupported) return this.replyError(res, 400, 'invalid_request_error', unsupported);
    const behaviour = this.behaviours.of(undefined, requestText(body!));
    if (behaviour === 'error') return this.replyError(res, 400, 'invalid_request_error', 'rejected (fake)');
    this.replyJson(res, 200, this.completion(body!, behaviour), { 'x-request-id': this.nextId('req_') });
  }

  private async uploadFile(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const form = await new Request('http://fake/v1/files', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type'] ?? '') },
      body: req.body,
    })
      .formData()
      .catch(() => undefined);
    const file = form?.get('file');
    const purpose = form?.get('purpose');
    if (!form || !(file instanceof Blob))
      return this.replyError(res, 400, 'invalid_request_error', "'file' is required");
    if (purpose !== 'batch')
      return this.replyError(res, 400, 'invalid_request_error', "'purpose' must be 'batch'");
    const content = await file.text();
    const badLine = content
      .split('\n')
      .findIndex((line) => line.trim() !== '' && parseJson(line) === undefined);
    if (badLine >= 0) {
      return this.replyError(
        res,
        400,
        'invalid_request_error',
        `Invalid JSON on line ${badLine + 1} of the file`,
      );
    }
    const stored: FakeFile = {
      id: this.nextId('file-'),
      filename: file instanceof File ? file.name : 'upload.jsonl',
      purpose,
      createdAt: this.now(),
      content,
    };
    this.files.set(stored.id, stored);
    this.replyJson(res, 200, fileObject(stored));
  }

  private fileContent(id: string, res: ServerResponse): void {
    const file = this.files.get(id);
    if (!file) return this.replyError(res, 404, 'invalid_request_error', `No such File object: ${id}`);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const step = this.downloadChunkBytes;
    if (!step) return void res.end(file.content);
    const bytes = Buffer.from(file.content, 'utf8');
    let offset = 0;
    const next = (): void => {
      if (offset >= bytes.length) return void res.end();
      res.write(bytes.subarray(offset, offset + step));
      offset += step;
      setImmediate(next);
    };
    next();
  }

  private createBatch(req: RecordedRequest, res: ServerResponse): void {
    const body = parseJson(req.body.toString('utf8')) ?? {};
    const file = this.files.get(String(body.input_file_id));
    if (!file)
      return this.replyError(res, 404, 'invalid_request_error', `No such File object: ${body.input_file_id}`);
    if (!ENDPOINTS.has(String(body.endpoint)))
      return this.replyError(res, 400, 'invalid_request_error', 'bad endpoint');
    if (body.completion_window !== '24h') {
      return this.replyError(res, 400, 'invalid_request_error', "completion_window must be '24h'");
    }
    const lines = file.content
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => parseJson(l)!);
    const batch: FakeBatch = {
      id: this.nextId('batch_'),
      inputFileId: file.id,
      endpoint: String(body.endpoint),
      metadata: (body.metadata as Json | undefined) ?? null,
      lines,
      status: 'validating',
      polls: 0,
      timestamps: { created_at: this.now() },
      counts: { total: 0, completed: 0, failed: 0 },
      ...(this.halfExpiring > 0 ? { expireSecondHalf: true } : {}),
    };
    if (this.halfExpiring > 0) this.halfExpiring -= 1;
    this.batches.set(batch.id, batch);
    if (this.lostCreateReplies > 0) {
      this.lostCreateReplies -= 1;
      return this.replyError(res, 500, 'server_error', 'The server had an error (batch created anyway)');
    }
    this.replyJson(res, 200, batchObject(batch));
  }

  /** Listing shows batches as they are; unlike a retrieve, it does not count as a poll. */
  private listBatches(req: RecordedRequest, res: ServerResponse): void {
    const newestFirst = [...this.batches.values()].reverse();
    newestFirst.sort((a, b) => b.timestamps.created_at - a.timestamps.created_at);
    const page = batchListPage(newestFirst, new URL(req.path, 'http://fake').searchParams);
    if (typeof page === 'string') return this.replyError(res, 400, 'invalid_request_error', page);
    this.replyJson(res, 200, page);
  }

  private retrieveBatch(batch: FakeBatch, res: ServerResponse): void {
    batch.polls += 1;
    if (batch.status === 'validating') this.validate(batch);
    if (batch.status === 'cancelling') {
      batch.status = 'cancelled';
      batch.timestamps.cancelled_at = this.now();
    } else if (batch.status === 'in_progress' && !this.batchesHeld && batch.polls >= this.pollsUntilEnded) {
      this.finish(batch);
    }
    this.replyJson(res, 200, batchObject(batch));
  }

  private cancelBatch(batch: FakeBatch, res: ServerResponse): void {
    if (batch.status === 'validating' || batch.status === 'in_progress') {
      batch.status = 'cancelling';
      batch.timestamps.cancelling_at = this.now();
    }
    this.replyJson(res, 200, batchObject(batch));
  }

  /** The checks OpenAI runs on an input file: method, url = endpoint, unique custom ids, one model. */
  /** The checks OpenAI runs on an input file, plus an injected problem when one was asked for. */
  private validate(batch: FakeBatch): void {
    const problems = [
      ...(this.rejectNext ? [this.rejectNext] : []),
      ...validateBatchLines(batch.lines, batch.endpoint),
    ];
    this.rejectNext = undefined;
    batch.counts.total = batch.lines.length;
    const model = batchModel(batch);
    const tokens = batch.lines.reduce((sum, line) => sum + lineTokens(line), 0);
    const queued = this.enqueuedTokens(model);
    if (
      problems.length === 0 &&
      this.enqueuedTokenLimit !== undefined &&
      queued + tokens > this.enqueuedTokenLimit
    ) {
      problems.push({
        code: 'token_limit_exceeded',
        message:
          `Enqueued token limit reached for ${model} in organization org-fake. Limit: ` +
          `${this.enqueuedTokenLimit} enqueued tokens. Please try again once some in_progress batches have been completed.`,
        param: null,
        line: null,
      });
    }
    if (problems.length === 0) {
      batch.enqueuedTokens = tokens;
      this.peakTokens = Math.max(this.peakTokens, queued + tokens);
    }
    if (problems.length > 0) {
      batch.status = 'failed';
      batch.errors = problems;
      batch.timestamps.failed_at = this.now();
    } else {
      batch.status = 'in_progress';
      batch.timestamps.in_progress_at = this.now();
    }
  }

  /** Runs every item at once: `expire` items are left undone, which makes the whole batch `expired`. */
  private finish(batch: FakeBatch): void {
    const output: Json[] = [];
    const errors: Json[] = [];
    const half = Math.floor(batch.lines.length / 2);
    for (const [index, line] of batch.lines.entries()) {
      const body = line.body as Json;
      const unreached = batch.expireSecondHalf === true && index >= half;
      const behaviour = unreached ? 'expire' : this.behaviours.of(String(line.custom_id), requestText(body));
      const base = { id: this.nextId('batch_req_'), custom_id: line.custom_id };
      if (behaviour === 'expire') {
        const error = {
          code: 'batch_expired',
          message: 'This request could not be executed before the completion window expired.',
        };
        errors.push({ ...base, response: null, error });
      } else if (behaviour === 'error' || unsupportedParameter(body)) {
        const message = unsupportedParameter(body) ?? 'rejected (fake)';
        const rejection = this.errorBody(400, 'invalid_request_error', message);
        errors.push({
          ...base,
          response: { status_code: 400, request_id: this.nextId('req_'), body: rejection },
          error: null,
        });
      } else {
        const completion = this.completion(body, behaviour);
        output.push({
          ...base,
          response: { status_code: 200, request_id: this.nextId('req_'), body: completion },
          error: null,
        });
      }
    }
    const expired = errors.some((e) => e.response === null);
    batch.counts.completed = output.length;
    batch.counts.failed = errors.filter((e) => e.response !== null).length;
    batch.outputFileId = output.length > 0 ? this.storeResultFile(batch, 'output', output) : undefined;
    batch.errorFileId = errors.length > 0 ? this.storeResultFile(batch, 'error', errors) : undefined;
    batch.status = expired ? 'expired' : 'completed';
    batch.timestamps.finalizing_at = this.now();
    batch.timestamps[expired ? 'expired_at' : 'completed_at'] = this.now();
  }

  private storeResultFile(batch: FakeBatch, kind: string, lines: Json[]): string {
    const file: FakeFile = {
      id: this.nextId('file-'),
      filename: `${batch.id}_${kind}.jsonl`,
      purpose: 'batch_output',
      createdAt: this.now(),
      content:
        this.ordered(lines)
          .map((l) => JSON.stringify(l))
          .join('\n') + '\n',
    };
    this.files.set(file.id, file);
    return file.id;
  }

  /** A ChatCompletion; the system message + first user part count as cached once seen. */
  private completion(body: Json, behaviour: FakeItemBehaviour): Json {
    const prefix = cacheablePrefix(body);
    const cachedTokens = this.cachedPrefixes.has(prefix) ? approximateTokens(prefix) : 0;
    this.cachedPrefixes.add(prefix);
    return chatCompletion(body, behaviour, {
      id: this.nextId('chatcmpl-'),
      created: this.now(),
      cachedTokens,
    });
  }

  private ordered<T>(lines: T[]): T[] {
    return this.inResultOrder(lines);
  }

  private nextId(prefix: string): string {
    this.ids += 1;
    return fakeId(prefix, this.ids);
  }
}

function batchModel(batch: FakeBatch): string {
  return String(((batch.lines[0]?.body ?? {}) as Json).model ?? '');
}
