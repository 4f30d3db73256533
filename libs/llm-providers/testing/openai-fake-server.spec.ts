import { OpenAIFakeServer } from './openai-fake-server.js';

function line(customId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] },
    ...overrides,
  };
}

describe('OpenAIFakeServer wire format', () => {
  const fake = new OpenAIFakeServer({ now: () => 1_790_000_000 });
  const auth = () => ({ authorization: `Bearer ${fake.apiKey}` });

  async function upload(content: string, purpose = 'batch'): Promise<Response> {
    const form = new FormData();
    form.append('purpose', purpose);
    form.append('file', new Blob([content]), 'input.jsonl');
    return fetch(`${fake.url}/v1/files`, { method: 'POST', headers: auth(), body: form });
  }

  async function batchFor(lines: unknown[]): Promise<Record<string, unknown>> {
    const file = (await (await upload(lines.map((l) => JSON.stringify(l)).join('\n'))).json()) as {
      id: string;
    };
    const res = await fetch(`${fake.url}/v1/batches`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: JSON.stringify({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    });
    const created = (await res.json()) as { id: string };
    return fetch(`${fake.url}/v1/batches/${created.id}`, { headers: auth() }).then(
      (r) => r.json() as Promise<Record<string, unknown>>,
    );
  }

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('rejects a missing or wrong key with 401 and the OpenAI error shape', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Array<Record<string, string>>) {
      const res = await fetch(`${fake.url}/v1/batches/batch_x`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: {
          message: expect.any(String),
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
    }
  });

  it('accepts a multipart JSONL upload with purpose=batch and rejects unparsable lines', async () => {
    const ok = await upload(JSON.stringify(line('a')));
    expect(await ok.json()).toMatchObject({
      object: 'file',
      purpose: 'batch',
      status: 'processed',
      filename: 'input.jsonl',
    });
    expect((await upload('{not json')).status).toBe(400);
    expect((await upload(JSON.stringify(line('a')), 'fine-tune')).status).toBe(400);
  });

  it('fails a batch whose lines break the rules, listing them in errors.data', async () => {
    const batch = await batchFor([
      line('a'),
      line('a'),
      line('b', { method: 'GET' }),
      line('c', { url: '/v1/embeddings' }),
    ]);
    expect(batch.status).toBe('failed');
    expect(batch.failed_at).toBe(1_790_000_000);
    const codes = (batch.errors as { data: Array<{ code: string; line: number }> }).data.map((e) => [
      e.code,
      e.line,
    ]);
    expect(codes).toEqual([
      ['duplicate_custom_id', 2],
      ['invalid_method', 3],
      ['invalid_url', 4],
    ]);
  });

  it('completes a valid batch with unix-second timestamps and an output file', async () => {
    const batch = await batchFor([line('a'), line('b')]);
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'completed',
      created_at: 1_790_000_000,
      expires_at: 1_790_000_000 + 86_400,
      request_counts: { total: 2, completed: 2, failed: 0 },
      error_file_id: null,
    });
    const output = await fetch(`${fake.url}/v1/files/${batch.output_file_id}/content`, {
      headers: auth(),
    }).then((r) => r.text());
    const lines = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['a', 'b']);
    expect(lines[0]).toMatchObject({
      id: expect.stringMatching(/^batch_req_/),
      error: null,
      response: { status_code: 200 },
    });
  });

  it('lists batches newest first in cursor pages, as the SDK pages them', async () => {
    const list = async (query: string) => {
      const res = await fetch(`${fake.url}/v1/batches${query}`, { headers: auth() });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const all = (await list('?limit=100')).body;
    const ids = (all.data as Array<{ id: string }>).map((b) => b.id);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    expect(all).toMatchObject({ object: 'list', first_id: ids[0], last_id: ids.at(-1), has_more: false });
    const newest = await batchFor([line('n')]);
    const first = (await list('?limit=1')).body;
    expect(first).toMatchObject({ first_id: newest.id, last_id: newest.id, has_more: true });
    expect((first.data as Array<Record<string, unknown>>)[0]).toMatchObject({
      object: 'batch',
      id: newest.id,
    });
    const rest = (await list(`?limit=100&after=${newest.id}`)).body;
    expect((rest.data as Array<{ id: string }>).map((b) => b.id)).toEqual(ids);
    expect(rest.has_more).toBe(false);
    expect((await list(`?after=${ids.at(-1)}`)).body).toEqual({
      object: 'list',
      data: [],
      first_id: null,
      last_id: null,
      has_more: false,
    });
    expect((await list('?limit=0')).status).toBe(400);
    expect((await list('?limit=101')).status).toBe(400);
  });
});
