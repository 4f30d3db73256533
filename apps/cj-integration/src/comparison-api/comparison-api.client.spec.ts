import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ComparisonApiClient } from './comparison-api.client.js';
import { ComparisonApiError } from './comparison-api.error.js';
import type { BatchSubmission } from './comparison-api.types.js';
import { splitIntoParts } from './upload-parts.js';

type Reply = { status: number; body: unknown };

describe('ComparisonApiClient', () => {
  let server: Server;
  let baseUrl: string;
  let replies: Reply[];
  const seen: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        const reply = replies.shift() ?? { status: 500, body: {} };
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    seen.length = 0;
  });

  const client = (attempts = 3) =>
    new ComparisonApiClient({
      baseUrl,
      apiKey: 'k'.repeat(20),
      timeoutMs: 2000,
      retryForMs: 60_000,
      attempts,
      backoffMs: 1,
    });
  const submission = {
    user_prompt: 'p',
    essays: [],
    comparisons: [],
    llm_config_overrides: {},
    correlation_id: 'c-1',
  };

  it('posts the batch with the bearer key and returns the batch id', async () => {
    replies = [{ status: 202, body: { batch_id: 'b-1', status: 'queued' } }];
    await expect(client().submitBatch(submission)).resolves.toMatchObject({ batch_id: 'b-1' });
    expect(seen).toEqual([
      {
        method: 'POST',
        url: '/api/v1/comparison/batch',
        auth: `Bearer ${'k'.repeat(20)}`,
        body: JSON.stringify(submission),
      },
    ]);
  });

  it('retries 5xx and then succeeds with the same body (idempotent correlation id)', async () => {
    replies = [
      { status: 503, body: { error_code: 'CIRCUIT_OPEN' } },
      { status: 202, body: { batch_id: 'b-2' } },
    ];
    await expect(client().submitBatch(submission)).resolves.toMatchObject({ batch_id: 'b-2' });
    expect(seen).toHaveLength(2);
    expect(seen[0].body).toBe(seen[1].body);
  });

  it('does not retry a refusal and reports the service code', async () => {
    replies = [{ status: 503, body: { error_detail: { error_code: 'PROVIDER_NOT_CONFIGURED' } } }];
    const error = await client()
      .submitBatch(submission)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComparisonApiError);
    expect(error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED', retryable: false, status: 503 });
    expect(seen).toHaveLength(1);
  });

  it('maps 400 to INVALID_REQUEST and gives up on 5xx after the configured attempts', async () => {
    replies = [{ status: 400, body: { message: 'bad' } }];
    await expect(client().submitBatch(submission)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
    });
    replies = [500, 500].map((status) => ({ status, body: {} }));
    seen.length = 0;
    await expect(client(2).submitBatch(submission)).rejects.toMatchObject({ code: 'EXTERNAL_SERVICE_ERROR' });
    expect(seen).toHaveLength(2);
  });

  it('reports CONNECTION_ERROR when nothing listens', async () => {
    const closed = new ComparisonApiClient({
      baseUrl: 'http://127.0.0.1:1',
      apiKey: 'k'.repeat(20),
      timeoutMs: 500,
      retryForMs: 0,
    });
    await expect(closed.submitBatch(submission)).rejects.toMatchObject({
      code: 'CONNECTION_ERROR',
      retryable: true,
    });
  });

  /** A client whose waits only advance a simulated clock, so minutes of backoff cost no test time. */
  function patientClient(retryForMs: number) {
    let now = 0;
    const waits: number[] = [];
    const api = new ComparisonApiClient({
      baseUrl,
      apiKey: 'k'.repeat(20),
      timeoutMs: 2000,
      retryForMs,
      backoffMs: 500,
      maxBackoffMs: 15_000,
      clock: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    return { api, waits, elapsed: () => now };
  }

  it('rides out an api restart of minutes: retries with growing backoff until it answers', async () => {
    replies = [
      ...Array.from({ length: 12 }, () => ({ status: 503, body: {} })),
      { status: 202, body: { batch_id: 'b-9' } },
    ];
    const { api, waits, elapsed } = patientClient(300_000);
    await expect(api.submitBatch(submission)).resolves.toMatchObject({ batch_id: 'b-9' });
    expect(seen).toHaveLength(13);
    expect(elapsed()).toBeGreaterThan(60_000);
    expect(Math.max(...waits)).toBeLessThanOrEqual(15_000 * 1.2);
    expect(waits[1]).toBeGreaterThan(waits[0]);
  });

  it('gives up once the next wait would pass the retry budget', async () => {
    replies = Array.from({ length: 100 }, () => ({ status: 502, body: {} }));
    const { api, elapsed } = patientClient(30_000);
    await expect(api.submitBatch(submission)).rejects.toMatchObject({ code: 'EXTERNAL_SERVICE_ERROR' });
    expect(elapsed()).toBeLessThanOrEqual(30_000);
    expect(elapsed()).toBeGreaterThan(30_000 - 15_000 * 1.2);
  });

  describe('a batch too large for one body', () => {
    const big: BatchSubmission = {
      user_prompt: 'Which essay argues better?',
      essays: Array.from({ length: 30 }, (_, i) => ({ essay_id: `e${i}`, text: `Essay ${i} `.repeat(40) })),
      comparisons: Array.from({ length: 60 }, (_, i) => ({
        comparison_id: `a-p${i}`,
        essay_a_id: `e${i % 30}`,
        essay_b_id: `e${(i + 1) % 30}`,
        metadata: {
          assessment_id: 'a',
          pair_index: i,
          essay_a_id: `e${i % 30}`,
          essay_b_id: `e${(i + 1) % 30}`,
          cj_attempt: 'a:main:1',
        },
      })),
      llm_config_overrides: { provider_override: 'mock' },
      correlation_id: 'a:main:1',
      priority: 5,
    };
    const uploadReplies = (parts: number): Reply[] => [
      { status: 201, body: { upload_id: 'u-1', status: 'open', part_max_bytes: 4_000 } },
      ...Array.from({ length: parts }, () => ({ status: 200, body: { upload_id: 'u-1' } })),
      { status: 202, body: { batch_id: 'u-1', status: 'queued' } },
    ];
    const expectUpload = () => {
      const parts = splitIntoParts(big, 4_000);
      expect(parts.length).toBeGreaterThan(3);
      const tail = seen.slice(-(parts.length + 2));
      const { essays: _e, comparisons: _c, ...options } = big;
      expect(tail[0]).toMatchObject({ method: 'POST', url: '/api/v1/comparison/batch/uploads' });
      expect(JSON.parse(tail[0].body)).toEqual(options);
      parts.forEach((part, i) => {
        expect(tail[i + 1]).toMatchObject({
          method: 'PUT',
          url: `/api/v1/comparison/batch/uploads/u-1/parts/${i + 1}`,
        });
        expect(tail[i + 1].body).toBe(JSON.stringify(part));
      });
      expect(tail.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/comparison/batch/uploads/u-1/seal' });
      return parts.length;
    };

    it('goes through create → parts (≤ part_max_bytes) → seal when over maxBodyBytes', async () => {
      const parts = splitIntoParts(big, 4_000).length;
      replies = uploadReplies(parts);
      const api = new ComparisonApiClient({
        baseUrl,
        apiKey: 'k'.repeat(20),
        timeoutMs: 2000,
        retryForMs: 0,
        maxBodyBytes: 10_000,
      });
      await expect(api.submitBatch(big)).resolves.toMatchObject({
        batch_id: 'u-1',
        upload: { upload_id: 'u-1', parts },
      });
      expect(seen).toHaveLength(parts + 2);
      expectUpload();
    });

    it('falls back to the upload when the api answers 413 to one body', async () => {
      replies = [
        { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } },
        ...uploadReplies(splitIntoParts(big, 4_000).length),
      ];
      await expect(client().submitBatch(big)).resolves.toMatchObject({ batch_id: 'u-1' });
      expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/v1/comparison/batch' });
      expectUpload();
    });
  });
});
