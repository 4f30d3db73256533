import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

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
 * Same contract as fetch where the SDKs rely on it: the request's signal aborts it (rejecting with the signal's
 * reason, an AbortError), network failures reject, any HTTP status resolves, compressed bodies are decoded.
 */
export function createJsonPostFetch(fallback: Fetch = (input, init) => globalThis.fetch(input, init)): Fetch {
  const agents = {
    'http:': new http.Agent(AGENT_OPTIONS),
    'https:': new https.Agent(AGENT_OPTIONS),
  };
  return (input, init) => {
    const body = init?.body;
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method !== 'POST' || typeof body !== 'string' || input instanceof Request)
      return fallback(input, init);
    const url = input instanceof URL ? input : new URL(String(input));
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback(input, init);
    return post(url, body, init ?? {}, agents[url.protocol]);
  };
}

function post(url: URL, body: string, init: RequestInit, agent: http.Agent): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => (headers[name] = value));
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
          resolve(toResponse(response, Buffer.concat(chunks)));
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
    request.end(body);
  });
}

function toResponse(response: http.IncomingMessage, raw: Buffer): Response {
  const status = response.statusCode ?? 0;
  const headers = new Headers();
  const pairs = response.rawHeaders;
  for (let i = 0; i + 1 < pairs.length; i += 2) headers.append(pairs[i], pairs[i + 1]);
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decoded = decode(raw, encoding);
  if (decoded !== raw) {
    // What fetch does: the body is handed over decoded, so its former length and encoding no longer apply.
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  const empty = status === 204 || status === 205 || status === 304 || decoded.length === 0;
  return new Response(empty ? null : decoded, {
    status,
    statusText: response.statusMessage ?? '',
    headers,
  });
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
