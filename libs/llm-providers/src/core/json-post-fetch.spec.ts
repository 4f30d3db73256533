import { jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createJsonPostFetch } from './json-post-fetch.js';
import { RequestNotSentError, withSendGate } from './send-gate.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A loopback server answering with `handler`, recording each request. */
async function serve(handler: Handler): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''} ${body}`);
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

describe('createJsonPostFetch', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('sends a JSON POST itself and answers a Response with status, headers and body', async () => {
    const { url, server, seen } = await serve((req, body, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      res.end(JSON.stringify({ echo: JSON.parse(body), auth: req.headers.authorization }));
    });
    servers.push(server);
    const fallback = jest.fn<typeof fetch>();
    const post = createJsonPostFetch(fallback);
    const res = await post(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
      body: JSON.stringify({ model: 'gpt-5-mini', n: 1 }),
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-request-id')).toBe('req_1');
    expect(await res.json()).toEqual({ echo: { model: 'gpt-5-mini', n: 1 }, auth: 'Bearer sk-test' });
    expect(seen).toEqual([`POST /v1/chat/completions application/json {"model":"gpt-5-mini","n":1}`]);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('answers a body that reads like a fetch body: once, as text, JSON, bytes or a stream, and cloned before', async () => {
    const { url, server } = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"chatcmpl-1","note":"café"}');
    });
    servers.push(server);
    const post = createJsonPostFetch();
    const call = () => post(`${url}/v1/chat/completions`, { method: 'POST', body: '{}' });

    const first = await call();
    expect(first).toBeInstanceOf(Response);
    expect(first.url).toBe(`${url}/v1/chat/completions`);
    expect(first.bodyUsed).toBe(false);
    // Looking at the body stream (as the SDKs' debug logging does) does not use it up; reading it does.
    expect(first.body).toBe(first.body);
    expect(first.bodyUsed).toBe(false);
    const copy = first.clone();
    expect(await first.json()).toEqual({ id: 'chatcmpl-1', note: 'café' });
    expect(first.bodyUsed).toBe(true);
    await expect(first.text()).rejects.toThrow(TypeError);
    expect(() => first.clone()).toThrow(TypeError);
    expect(await copy.text()).toBe('{"id":"chatcmpl-1","note":"café"}');

    const bytes = new Uint8Array(await (await call()).arrayBuffer());
    expect(Buffer.from(bytes).toString('utf8')).toBe('{"id":"chatcmpl-1","note":"café"}');
    const blob = await (await call()).blob();
    expect(blob.type).toBe('application/json');
    const streamed = await new Response((await call()).body).text();
    expect(streamed).toBe('{"id":"chatcmpl-1","note":"café"}');
  });

  it("holds a request until its call's send gate opens, and never sends one whose gate stays shut", async () => {
    const { url, server, seen } = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    servers.push(server);
    const fallback = jest.fn<typeof fetch>(async () => new Response('from fallback'));
    const post = createJsonPostFetch(fallback);
    let open!: (value: boolean) => void;
    const gate = new Promise<boolean>((resolve) => (open = resolve));
    const answered = withSendGate(gate, () =>
      post(`${url}/v1/messages`, { method: 'POST', body: '{"held":1}' }),
    );
    // Well past a loopback round trip: nothing has left while the gate is shut.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    open(true);
    expect(await (await answered).json()).toEqual({ ok: true });
    expect(seen).toEqual([`POST /v1/messages  {"held":1}`]);

    const shut = Promise.resolve(false);
    await expect(
      withSendGate(shut, () => post(`${url}/v1/messages`, { method: 'POST', body: '{"shut":1}' })),
    ).rejects.toBeInstanceOf(RequestNotSentError);
    await expect(withSendGate(shut, () => post(`${url}/v1/files`, { method: 'GET' }))).rejects.toBeInstanceOf(
      RequestNotSentError,
    );
    expect(seen).toHaveLength(1);
    expect(fallback).not.toHaveBeenCalled();
    // Outside any gate, requests leave at once as before.
    await post(`${url}/v1/files`, { method: 'GET' });
    expect(fallback).toHaveBeenCalledTimes(1);
  });

  it('resolves error statuses like fetch (the SDK reads the error body)', async () => {
    const { url, server } = await serve((_req, _body, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify({ error: { code: 'rate_limit_exceeded' } }));
    });
    servers.push(server);
    const res = await createJsonPostFetch()(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ error: { code: 'rate_limit_exceeded' } });
  });

  it('decodes a gzip body and answers an empty one as null', async () => {
    const { url, server } = await serve((req, _body, res) => {
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ ok: true })));
    });
    servers.push(server);
    const post = createJsonPostFetch();
    const zipped = await post(`${url}/zipped`, { method: 'POST', body: '{}' });
    expect(zipped.headers.get('content-encoding')).toBeNull();
    expect(await zipped.json()).toEqual({ ok: true });
    const empty = await post(`${url}/empty`, { method: 'POST', body: '{}' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('leaves every other request to the fallback: GETs, uploads, bodyless POSTs', async () => {
    const answer = new Response('from fallback');
    const fallback = jest.fn<typeof fetch>(async () => answer);
    const post = createJsonPostFetch(fallback);
    const form = new FormData();
    form.append('purpose', 'batch');
    await post('http://127.0.0.1:9/v1/files/f/content', { method: 'GET' });
    await post('http://127.0.0.1:9/v1/files', { method: 'POST', body: form });
    await post('http://127.0.0.1:9/v1/batches/b/cancel', { method: 'POST' });
    expect(fallback.mock.calls.map(([input, init]) => `${init?.method} ${String(input)}`)).toEqual([
      'GET http://127.0.0.1:9/v1/files/f/content',
      'POST http://127.0.0.1:9/v1/files',
      'POST http://127.0.0.1:9/v1/batches/b/cancel',
    ]);
  });

  it("rejects with the signal's reason when aborted (the SDK's timeout), and on a refused connection", async () => {
    const { url, server } = await serve(() => undefined); // never answers
    servers.push(server);
    const post = createJsonPostFetch();
    const controller = new AbortController();
    const pending = post(url, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const already = AbortSignal.abort();
    await expect(post(url, { method: 'POST', body: '{}', signal: already })).rejects.toMatchObject({
      name: 'AbortError',
    });
    server.closeAllConnections();
    // Port 9 (discard) is closed on the loopback: the connection is refused.
    await expect(
      createJsonPostFetch()('http://127.0.0.1:9/x', { method: 'POST', body: '{}' }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
