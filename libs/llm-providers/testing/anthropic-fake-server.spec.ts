import { AnthropicFakeServer } from './anthropic-fake-server.js';

const VERSION = { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

function params(text: string): Record<string, unknown> {
  return { model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: text }] };
}

describe('AnthropicFakeServer wire format', () => {
  const fake = new AnthropicFakeServer({ now: () => new Date('2026-11-02T10:00:00.000Z') });
  const post = (path: string, body: unknown, headers: Record<string, string>) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('accepts the key as x-api-key as well as Bearer', async () => {
    const legacy = await post('/v1/messages', params('<essay_a>a</essay_a><essay_b>bb</essay_b>'), {
      ...VERSION,
      'x-api-key': fake.apiKey,
    });
    expect(legacy.status).toBe(200);
    expect(await legacy.json()).toMatchObject({ type: 'message', content: [{ type: 'text' }] });
  });

  it('rejects a missing or wrong key with 401 and the Anthropic error shape', async () => {
    for (const headers of [VERSION, { ...VERSION, authorization: 'Bearer nope' }]) {
      const res = await post('/v1/messages', params('x'), headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    }
  });

  it('requires anthropic-version', async () => {
    const res = await post('/v1/messages', params('x'), { authorization: `Bearer ${fake.apiKey}` });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('rejects invalid and duplicate custom ids', async () => {
    const auth = { ...VERSION, authorization: `Bearer ${fake.apiKey}` };
    const invalid = await post(
      '/v1/messages/batches',
      { requests: [{ custom_id: 'a b', params: params('x') }] },
      auth,
    );
    expect(invalid.status).toBe(400);
    const duplicate = {
      requests: [
        { custom_id: 'a', params: params('x') },
        { custom_id: 'a', params: params('y') },
      ],
    };
    expect((await post('/v1/messages/batches', duplicate, auth)).status).toBe(400);
  });

  it('returns a batch with RFC 3339 timestamps, expires_at +24h and a results_url once ended', async () => {
    const auth = { ...VERSION, authorization: `Bearer ${fake.apiKey}` };
    const created = await post(
      '/v1/messages/batches',
      { requests: [{ custom_id: 'a', params: params('x') }] },
      auth,
    );
    const batch = (await created.json()) as Record<string, unknown>;
    expect(batch).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      created_at: '2026-11-02T10:00:00.000Z',
      expires_at: '2026-11-03T10:00:00.000Z',
      results_url: null,
      request_counts: { processing: 1, succeeded: 0 },
    });
    const ended = await fetch(`${fake.url}/v1/messages/batches/${batch.id}`, { headers: auth }).then((r) =>
      r.json(),
    );
    expect(ended).toMatchObject({
      processing_status: 'ended',
      ended_at: '2026-11-02T10:00:00.000Z',
      results_url: `${fake.url}/v1/messages/batches/${batch.id}/results`,
    });
  });

  it('answers 429 with retry-after, then serves normally', async () => {
    const auth = { ...VERSION, authorization: `Bearer ${fake.apiKey}` };
    fake.failNext(429, 1, { 'retry-after': '3' });
    const limited = await post('/v1/messages', params('x'), auth);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect((await post('/v1/messages', params('x'), auth)).status).toBe(200);
  });
});
