import { CircuitBreakerRegistry, ProviderError } from '#llm-providers';
import request from 'supertest';
import {
  bearer,
  batchBody,
  createApiTestApp,
  essayBatchBody,
  singleBody,
  TEST_API_KEYS,
  type ApiTestApp,
} from '../testing/api-test-app.js';
import { storedResult } from '../testing/result-factory.js';

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';

describe('comparison API (HTTP layer over in-memory storage)', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();

  beforeEach(async () => {
    t = await createApiTestApp();
  });

  afterEach(async () => {
    await t.app.close();
  });

  it('accepts a batch: 202, config snapshot stored once, one job on the batches queue', async () => {
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(3))
      .expect(202);
    expect(res.body).toEqual({
      batch_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'queued',
      comparison_count: 3,
      status_url: `/api/v1/comparison/batch/${res.body.batch_id}`,
    });
    const record = t.store.records.get(res.body.batch_id)!;
    expect(record).toMatchObject({
      kind: 'batch',
      mode: 'batch',
      correlation_id: 'corr-1',
      assessment_id: 'asmt-1',
      callback_topic: 'huleedu.llm_provider.comparison_result.v1',
      priority: 5,
      tenant_id: 'alpha',
      idempotency_key: 'alpha:batch:corr-1',
      config: { provider: 'mock', model: 'mock-judge-1' },
    });
    const stored = await t.store.getRequests(res.body.batch_id);
    expect(stored.map((r) => r.comparison_id)).toEqual(['pair-0', 'pair-1', 'pair-2']);
    expect(stored[1].metadata).toEqual({ assessment_id: 'asmt-1', pair_index: 1 });
    expect(t.queues.jobs).toEqual([{ queue: 'batches', batchId: res.body.batch_id, priority: 5 }]);
  });

  it('accepts the essay-referencing form: each essay stored once, comparisons resolved by id', async () => {
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(essayBatchBody(3, 3))
      .expect(202);
    expect(res.body).toMatchObject({ status: 'queued', comparison_count: 3 });
    expect(t.store.records.get(res.body.batch_id)).toMatchObject({
      assessment_id: 'asmt-1',
      comparison_count: 3,
      idempotency_key: 'alpha:batch:corr-essays-1',
    });
    const form = t.store.essayForms.get(res.body.batch_id)!;
    expect(form.user_prompt).toBe('Which essay argues better?');
    expect([...form.essays.keys()]).toEqual(['e-0', 'e-1', 'e-2']);
    const stored = await t.store.getRequests(res.body.batch_id);
    expect(stored.map((r) => [r.comparison_id, r.essay_a, r.essay_b])).toEqual([
      ['pair-0', 'Essay number 0', 'Essay number 1'],
      ['pair-1', 'Essay number 1', 'Essay number 2'],
      ['pair-2', 'Essay number 2', 'Essay number 0'],
    ]);
    expect(t.queues.jobs).toEqual([{ queue: 'batches', batchId: res.body.batch_id, priority: 5 }]);
    // Same correlation id, same body: the same batch.
    const again = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(essayBatchBody(3, 3))
      .expect(202);
    expect(again.body.batch_id).toBe(res.body.batch_id);
  });

  it('accepts every configured key', async () => {
    await request(server())
      .post(BATCH)
      .set('Authorization', bearer(TEST_API_KEYS[1]))
      .send(batchBody(1))
      .expect(202);
  });

  it('does not name the framework behind it (no X-Powered-By), on answers and on errors', async () => {
    const accepted = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(1))
      .expect(202);
    const refused = await request(server()).post(BATCH).send(batchBody(1)).expect(401);
    expect(accepted.headers['x-powered-by']).toBeUndefined();
    expect(refused.headers['x-powered-by']).toBeUndefined();
  });

  it('queues an individual comparison with its priority on the comparisons queue', async () => {
    const res = await request(server())
      .post(SINGLE)
      .set('Authorization', bearer())
      .send(singleBody())
      .expect(202);
    expect(res.body).toEqual({
      queue_id: expect.any(String),
      status: 'queued',
      status_url: `/api/v1/comparison/${res.body.queue_id}`,
    });
    expect(t.queues.jobs).toEqual([{ queue: 'comparisons', batchId: res.body.queue_id, priority: 8 }]);
    const status = await request(server())
      .get(res.body.status_url)
      .set('Authorization', bearer())
      .expect(200);
    expect(status.body).toMatchObject({
      queue_id: res.body.queue_id,
      comparison_id: res.body.queue_id,
      priority: 8,
    });
    expect(status.body.result).toBeUndefined();
  });

  it('returns the same batch for the same correlation_id and body, 409 for another body', async () => {
    const first = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(2))
      .expect(202);
    const again = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(2))
      .expect(202);
    expect(again.body.batch_id).toBe(first.body.batch_id);
    const conflict = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(3))
      .expect(409);
    expect(conflict.body.error).toMatchObject({ code: 'CONFLICT', field: 'correlation_id' });
    expect(JSON.stringify(conflict.body)).not.toContain(first.body.batch_id);
    expect(t.store.records.size).toBe(1);
    expect(t.queues.jobs).toHaveLength(1);
  });

  it('prefers the Idempotency-Key header over correlation_id', async () => {
    const a = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .set('Idempotency-Key', 'k-1')
      .send(batchBody(2));
    const b = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .set('Idempotency-Key', 'k-2')
      .send(batchBody(2));
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.batch_id).not.toBe(a.body.batch_id);
    expect(t.store.records.get(a.body.batch_id)!.idempotency_key).toBe('alpha:batch:k-1');
  });

  it('answers 200 with every result in input order when the batch finishes within Prefer: wait', async () => {
    t.store.onCreated = (record, requests) => {
      setTimeout(() => {
        const results = requests.map((r, i) => storedResult(i, r.comparison_id)).reverse();
        t.store.finish(record.batch_id, results);
      }, 30);
    };
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .set('Prefer', 'wait=5')
      .send(batchBody(3))
      .expect(200);
    expect(res.headers['preference-applied']).toBe('wait=2');
    expect(res.body.status).toBe('completed');
    expect(res.body.results.map((r: { comparison_id: string }) => r.comparison_id)).toEqual([
      'pair-0',
      'pair-1',
      'pair-2',
    ]);
    expect(res.body.results[1]).toMatchObject({
      winner: 'Essay B',
      confidence: 4,
      provider: 'mock',
      request_metadata: { pair_index: 1 },
    });
  });

  it('answers 200 with the result for an individual comparison finished within Prefer: wait', async () => {
    t.store.onCreated = (record, requests) => {
      setTimeout(() => t.store.finish(record.batch_id, [storedResult(0, requests[0].comparison_id)]), 20);
    };
    const body = { ...singleBody(), comparison_id: 'mine-1' };
    const res = await request(server())
      .post(SINGLE)
      .set('Authorization', bearer())
      .set('Prefer', 'wait=1')
      .send(body)
      .expect(200);
    expect(res.body).toMatchObject({
      status: 'completed',
      comparison_id: 'mine-1',
      result: { comparison_id: 'mine-1', winner: 'Essay A' },
    });
  });

  it('falls back to 202 when the wait runs out', async () => {
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .set('Prefer', 'respond-async, wait=1')
      .send(batchBody(1));
    expect(res.status).toBe(202);
    expect(res.headers['preference-applied']).toBe('wait=1');
  });

  it('pages results in input order and reports the next offset', async () => {
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(3))
      .expect(202);
    const id = res.body.batch_id;
    t.store.finish(id, [storedResult(2, 'pair-2'), storedResult(0, 'pair-0')], 'in_progress');
    const page = await request(server())
      .get(`${BATCH}/${id}/results?offset=0&limit=2`)
      .set('Authorization', bearer())
      .expect(200);
    expect(page.body).toMatchObject({ batch_id: id, offset: 0, limit: 2, total: 3, next_offset: 2 });
    expect(page.body.items.map((i: { comparison_id: string }) => i.comparison_id)).toEqual(['pair-0']);
    const last = await request(server())
      .get(`${BATCH}/${id}/results?offset=2`)
      .set('Authorization', bearer())
      .expect(200);
    expect(last.body.next_offset).toBeNull();
    expect(last.body.items.map((i: { comparison_id: string }) => i.comparison_id)).toEqual(['pair-2']);
  });

  it('reports batch status with counts, provider and savings', async () => {
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(2))
      .expect(202);
    const status = await request(server())
      .get(res.body.status_url)
      .set('Authorization', bearer())
      .expect(200);
    expect(status.body).toMatchObject({
      status: 'queued',
      provider: 'mock',
      model: 'mock-judge-1',
      counts: { total: 2, succeeded: 0, failed: 0, pending: 2 },
      provider_batch_ids: [],
      cost_usd: 0,
      estimated_savings_usd: 0,
      cancel_requested: false,
    });
  });

  it('cancels: 202 while running, 200 once canceled, 409 after completion; batch ids are not queue ids', async () => {
    const running = (await request(server()).post(BATCH).set('Authorization', bearer()).send(batchBody(1)))
      .body.batch_id;
    const cancel = await request(server())
      .post(`${BATCH}/${running}/cancel`)
      .set('Authorization', bearer())
      .expect(202);
    expect(cancel.body.cancel_requested).toBe(true);
    t.store.finish(running, [], 'canceled');
    await request(server()).post(`${BATCH}/${running}/cancel`).set('Authorization', bearer()).expect(200);

    const done = (
      await request(server())
        .post(BATCH)
        .set('Authorization', bearer())
        .set('Idempotency-Key', 'other')
        .send(batchBody(1))
    ).body.batch_id;
    t.store.finish(done, [storedResult(0, 'pair-0')]);
    const conflict = await request(server())
      .post(`${BATCH}/${done}/cancel`)
      .set('Authorization', bearer())
      .expect(409);
    expect(conflict.body.error.code).toBe('CONFLICT');
    await request(server()).get(`${SINGLE}/${done}`).set('Authorization', bearer()).expect(404);
  });

  it('refuses a provider whose circuit is open with 503 CIRCUIT_OPEN and Retry-After, storing nothing', async () => {
    const breakers = t.app.get(CircuitBreakerRegistry);
    for (let i = 0; i < 3; i += 1) {
      await breakers
        .fire('mock', () => Promise.reject(new ProviderError('TIMEOUT', 'slow')))
        .catch(() => undefined);
    }
    expect(breakers.state('mock')).toBe('open');
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send(batchBody(1))
      .expect(503);
    expect(res.body.error).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.store.records.size).toBe(0);
    expect(t.queues.jobs).toHaveLength(0);
    const providers = await request(server())
      .get('/api/v1/providers')
      .set('Authorization', bearer())
      .expect(200);
    expect(providers.body.providers.find((p: { name: string }) => p.name === 'mock')).toMatchObject({
      available: false,
      circuit_state: 'open',
    });
  });

  it('lists providers with their configured, available and circuit state', async () => {
    const res = await request(server()).get('/api/v1/providers').set('Authorization', bearer()).expect(200);
    expect(res.body.default_provider).toBe('mock');
    expect(res.body.providers.map((p: { name: string }) => p.name)).toEqual([
      'anthropic',
      'openai',
      'google',
      'openrouter',
      'mock',
    ]);
    expect(res.body.providers[0]).toMatchObject({
      name: 'anthropic',
      configured: false,
      available: false,
      circuit_state: 'closed',
    });
    expect(res.body.providers[4]).toMatchObject({
      name: 'mock',
      configured: true,
      available: true,
      default_model: 'mock-judge-1',
    });
    await request(server()).get('/api/v1/providers').expect(401);
  });

  it('serves OpenAPI docs without auth, generated from the DTOs', async () => {
    const res = await request(server()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/comparison',
        '/api/v1/comparison/batch',
        '/api/v1/comparison/batch/{batch_id}/results',
        '/api/v1/comparison/batch/{batch_id}/cancel',
        '/api/v1/providers',
        '/api/v1/assessments/uploads',
        '/api/v1/assessments/uploads/{upload_id}/parts/{part_number}',
        '/api/v1/assessments/uploads/{upload_id}/seal',
      ]),
    );
    expect(res.body.components.schemas.ComparisonItemDto.required).toEqual(
      expect.arrayContaining(['comparison_id', 'user_prompt', 'essay_a', 'essay_b']),
    );
    // The upload header is the assessment body without essays.
    const header = res.body.components.schemas.AssessmentUploadCreateDto;
    expect(header.required).toEqual(expect.arrayContaining(['assignment', 'criteria', 'llm_config']));
    expect(Object.keys(header.properties)).not.toContain('essays');
    await request(server()).get('/docs').expect(200);
  });

  it('keeps /metrics behind the API key and counts requests by route template', async () => {
    await request(server()).get('/metrics').expect(401);
    await request(server()).get('/api/v1/providers').set('Authorization', bearer()).expect(200);
    const res = await request(server()).get('/metrics').set('Authorization', bearer()).expect(200);
    expect(res.text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/providers",status="200",service="api"\} 1/,
    );
  });
});

describe('METRICS_PUBLIC=true', () => {
  it('serves /metrics without the API key', async () => {
    const t = await createApiTestApp({ settings: { metricsPublic: true } });
    try {
      await request(t.app.getHttpServer()).get('/metrics').expect(200);
      await request(t.app.getHttpServer()).get('/api/v1/providers').expect(401);
    } finally {
      await t.app.close();
    }
  });
});
