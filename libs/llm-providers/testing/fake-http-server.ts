import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake received it (headers lower-cased by node). */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** When its body had arrived (Date.now()): benchmarks time the phases of a run by the calls it made. */
  receivedAt: number;
}

export interface ReplyHeaders {
  [name: string]: string;
}

interface InjectedFailure {
  status: number;
  headers: ReplyHeaders;
  remaining: number;
  /** Only requests whose `METHOD path` matches fail; every authenticated request when absent. */
  matcher?: RegExp;
}

/**
 * Plumbing shared by the provider fakes: an ephemeral 127.0.0.1 server, a request log, injected failures
 * (`failNext`) applied after authentication, the way a real gateway rate-limits only known callers, and the batch
 * controls every fake offers (hold/release, result order).
 */
export abstract class FakeHttpServer {
  readonly requestLog: RecordedRequest[] = [];
  private server?: Server;
  private origin = '';
  private readonly failures: InjectedFailure[] = [];
  /** While set, batches stay unfinished however often they are polled. */
  protected batchesHeld = false;
  private resultsReversed = false;

  /** Origin the fake listens on, e.g. `http://127.0.0.1:43817`. */
  get url(): string {
    if (!this.origin) throw new Error('fake server not started');
    return this.origin;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks),
          receivedAt: Date.now(),
        };
        this.requestLog.push(recorded);
        this.dispatch(recorded, res).catch((err: unknown) => {
          this.replyError(res, 500, 'api_error', `fake server failure: ${String(err)}`);
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * The next `count` authenticated requests (optionally only those whose `METHOD path` matches) get `status`
   * with the provider's error body, e.g. `failNext(429, 1, { 'retry-after': '0' })`.
   */
  failNext(status: number, count = 1, headers: ReplyHeaders = {}, matcher?: RegExp): void {
    this.failures.push({ status, headers, remaining: count, matcher });
  }

  /** Requests whose `METHOD path` matches, e.g. `countRequests(/^POST \/v1\/messages$/)`. */
  countRequests(matcher: RegExp): number {
    return this.requestLog.filter((r) => matcher.test(`${r.method} ${r.path}`)).length;
  }

  /** New and running batches stay unfinished, however often they are polled, until releaseBatches(). */
  holdBatches(): void {
    this.batchesHeld = true;
  }

  releaseBatches(): void {
    this.batchesHeld = false;
  }

  /** Results list items in exact reverse request order instead of the default scramble. */
  reverseResults(): void {
    this.resultsReversed = true;
  }

  /** Batch results in the order the fake returns them (never request order unless reversed is asked for). */
  protected inResultOrder<T>(items: T[]): T[] {
    return this.resultsReversed ? [...items].reverse() : scrambled(items);
  }

  protected abstract isAuthorised(req: RecordedRequest): boolean;
  protected abstract route(req: RecordedRequest, res: ServerResponse): Promise<void> | void;
  /** The provider's error JSON for `status`. */
  protected abstract errorBody(status: number, type: string, message: string): unknown;
  protected abstract errorTypeFor(status: number): string;

  protected replyJson(res: ServerResponse, status: number, body: unknown, headers: ReplyHeaders = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  protected replyError(
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    headers: ReplyHeaders = {},
  ): void {
    this.replyJson(res, status, this.errorBody(status, type, message), headers);
  }

  private async dispatch(req: RecordedRequest, res: ServerResponse): Promise<void> {
    if (!this.isAuthorised(req)) {
      this.replyError(res, 401, this.errorTypeFor(401), 'invalid x-api-key or bearer token');
      return;
    }
    const failure = this.takeFailure(req);
    if (failure) {
      this.replyError(
        res,
        failure.status,
        this.errorTypeFor(failure.status),
        'injected failure',
        failure.headers,
      );
      return;
    }
    await this.route(req, res);
  }

  private takeFailure(req: RecordedRequest): InjectedFailure | undefined {
    const line = `${req.method} ${req.path}`;
    const failure = this.failures.find((f) => f.remaining > 0 && (!f.matcher || f.matcher.test(line)));
    if (failure) failure.remaining -= 1;
    return failure;
  }
}

/** Rough token count (4 characters a token), enough for usage figures to move with the text. */
export function approximateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Deterministic pseudo-random id: the same counter gives the same id across runs. */
export function fakeId(prefix: string, counter: number, length = 24): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let state = Math.imul(counter + 1, 0x9e3779b1) >>> 0 || 1;
  let id = '';
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    id += alphabet[state % alphabet.length];
  }
  return `${prefix}${id}`;
}

/** A fixed but scrambled order (results are never returned in request order by the real APIs). */
export function scrambled<T>(items: T[]): T[] {
  const evens = items.filter((_, i) => i % 2 === 0).reverse();
  const odds = items.filter((_, i) => i % 2 === 1);
  return [...odds, ...evens];
}

/** How a fake treats one item (matched by its custom id or by a marker inside its text). */
export type FakeItemBehaviour = 'ok' | 'error' | 'malformed' | 'expire' | 'refuse';

/** Item behaviour registry shared by the fakes: exact custom id first, then the first marker found in the text. */
export class ItemBehaviours<B extends string = FakeItemBehaviour> {
  private readonly rules = new Map<string, B>();

  set(customIdOrMarker: string, behaviour: B): void {
    this.rules.set(customIdOrMarker, behaviour);
  }

  clear(): void {
    this.rules.clear();
  }

  of(customId: string | undefined, text: string): B | 'ok' {
    if (customId !== undefined && this.rules.has(customId)) return this.rules.get(customId)!;
    for (const [marker, behaviour] of this.rules) {
      if (text.includes(marker)) return behaviour;
    }
    return 'ok';
  }
}
