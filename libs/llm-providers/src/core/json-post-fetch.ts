import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { currentSendGate, RequestNotSentError } from './send-gate.js';

type Fetch = typeof globalThis.fetch;

/** Keep-alive sockets per origin: a provider's calls reuse their connections, as undici's pool does. */
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 256 };

/**
 * A `fetch` for the provider SDKs that sends POST requests with a string (JSON) body over node:http(s) and answers
 * with a buffered Response; everything else (file uploads with form or blob bodies, downloads, GETs, DELETEs) goes
 * to `fallback`, the global fetch. Why: the individual path makes one such call per request, and undici's fetch
 * costs about 0.25 ms of CPU per call on this hardware with web-stream garbage that shows up as millisecond GC
 * tails (`npm run bench -- individual`, profiled); Node's own HTTP client does the same call for about half. The
 * answers these calls get are small JSON documents, so buffering them changes nothing.
 *
 * A request whose call has a send gate (send-gate.ts) leaves once the gate opens, or is refused unsent.
 *
 * Same contract as fetch where the SDKs rely on it: the request's signal aborts it (rejecting with the signal's
 * reason, an AbortError), network failures reject, any HTTP status resolves, compressed bodies are decoded.
 */
export function createJsonPostFetch(fallback: Fetch = (input, init) => globalThis.fetch(input, init)): Fetch {
  const agents = {
    'http:': new http.Agent(AGENT_OPTIONS),
    'https:': new https.Agent(AGENT_OPTIONS),
  };
  // Every request, by either road, waits for its call's send gate when it has one (see send-gate.ts).
  const gated = (gate: Promise<boolean> | undefined, send: () => Promise<Response>) =>
    gate ? gate.then((open) => (open ? send() : Promise.reject(new RequestNotSentError()))) : send();
  return (input, init) => {
    const gate = currentSendGate();
    const body = init?.body;
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method !== 'POST' || typeof body !== 'string' || input instanceof Request)
      return gated(gate, () => fallback(input, init));
    const url = input instanceof URL ? input : new URL(String(input));
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return gated(gate, () => fallback(input, init));
    return post(url, body, init ?? {}, agents[url.protocol], gate);
  };
}

/**
 * The request is made at once and sent (its headers and body, in one write) when `gate` opens: what it costs to
 * build overlaps whatever the gate waits for. A gate that stays shut destroys it unsent.
 */
function post(
  url: URL,
  body: string,
  init: RequestInit,
  agent: http.Agent,
  gate?: Promise<boolean>,
): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const headers: Record<string, string> = {};
  // The SDKs hand a Headers object over: read as it is, not copied into another one first.
  const given = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  given.forEach((value, name) => (headers[name] = value));
  headers['content-length'] = String(Buffer.byteLength(body));
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve, reject) => {
    const request = transport.request(url, { method: 'POST', headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        try {
          resolve(toResponse(url, response, Buffer.concat(chunks)));
        } catch (err) {
          reject(err);
        }
      });
    });
    const onAbort = () => {
      const reason = abortReason(signal!);
      request.destroy();
      reject(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    if (!gate) {
      request.end(body);
      return;
    }
    gate.then(
      (open) => (open ? request.end(body) : request.destroy(new RequestNotSentError())),
      (err: unknown) => request.destroy(err instanceof Error ? err : new RequestNotSentError()),
    );
  });
}

function toResponse(url: URL, response: http.IncomingMessage, raw: Buffer): Response {
  const status = response.statusCode ?? 0;
  const headers: Array<[string, string]> = [];
  const pairs = response.rawHeaders;
  let encoding: string | undefined;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    headers.push([pairs[i], pairs[i + 1]]);
    if (pairs[i].toLowerCase() === 'content-encoding') encoding = pairs[i + 1].trim().toLowerCase();
  }
  const decoded = decode(raw, encoding);
  // What fetch does: the body is handed over decoded, so its former length and encoding no longer apply.
  const kept =
    decoded === raw ? headers : headers.filter(([name]) => !/^content-(encoding|length)$/i.test(name));
  const empty = status === 204 || status === 205 || status === 304 || decoded.length === 0;
  return bufferedResponse(empty ? null : decoded, url.href, {
    status,
    statusText: response.statusMessage ?? '',
    headers: kept,
  });
}

/**
 * A Response whose body is already in memory: text(), json() and the rest read the buffer itself instead of a web
 * stream over it (about 0.3 ms of CPU per call fewer in the SDKs' parse, timed in the API's individual path); the
 * body stream is made only if someone asks for it. Read once, like any fetch body. A real Response (instanceof,
 * status, headers) whose body members are its own.
 */
function bufferedResponse(bytes: Buffer | null, url: string, init: ResponseInit): Response {
  const response = new Response(null, init);
  let used = false;
  let stream: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  const take = (): Buffer => {
    if (used) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
    return bytes ?? Buffer.alloc(0);
  };
  const read =
    <T>(from: (body: Buffer) => T) =>
    async (): Promise<T> =>
      from(take());
  Object.defineProperties(response, {
    url: { value: url },
    bodyUsed: { get: () => used },
    // Made on first access and the same one after (as fetch's); only reading from it uses the body up.
    body: {
      get: () => {
        if (bytes === null) return null;
        if (stream) return stream;
        // highWaterMark 0: nothing is pulled (and the body used up) before someone reads.
        stream = new ReadableStream(
          {
            pull(controller) {
              controller.enqueue(new Uint8Array(take()));
              controller.close();
            },
          },
          { highWaterMark: 0 },
        );
        return stream;
      },
    },
    text: { value: read((body) => body.toString('utf8')) },
    json: { value: read((body) => JSON.parse(body.toString('utf8')) as unknown) },
    arrayBuffer: {
      value: read((body) => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)),
    },
    bytes: { value: read((body) => new Uint8Array(body)) },
    blob: { value: read((body) => new Blob([body], { type: response.headers.get('content-type') ?? '' })) },
    clone: {
      value: () => {
        if (used) throw new TypeError('Response.clone: Body has already been consumed.');
        return bufferedResponse(bytes, url, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      },
    },
  });
  return response;
}

function decode(raw: Buffer, encoding: string | undefined): Buffer {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    default:
      return raw;
  }
}

/**
 * The signal's reason (the SDK aborts without one: a DOMException named AbortError), as an Error of this realm:
 * the SDKs turn a non-Error rejection into a plain connection error, losing the timeout (seen under jest's VM
 * contexts, where Node's DOMException is not an instance of the context's Error).
 */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
  if (reason instanceof Error) return reason;
  const named = reason as { name?: string; message?: string };
  const error = new Error(named.message ?? 'This operation was aborted');
  error.name = named.name ?? 'AbortError';
  return error;
}
