import request from 'supertest';
import { bearer, batchBody, createApiTestApp, type ApiTestApp } from '../testing/api-test-app.js';

const BATCH = '/api/v1/comparison/batch';

function assessmentBody(essays = 4): Record<string, unknown> {
  return {
    essays: Array.from({ length: essays }, (_, i) => ({ essay_id: `e${i}`, text: `Essay ${i} text` })),
    assignment: 'Argue.',
    criteria: 'Reasons.',
    llm_config: { provider_override: 'mock' },
    comparisons_per_essay: 2,
  };
}

describe('quotes and max_cost_usd (HTTP layer over in-memory storage)', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();

  beforeEach(async () => {
    t = await createApiTestApp({ settings: { maxComparisonsPerBatch: 3, maxPromptChars: 50 } });
  });
  afterEach(async () => t.app.close());

  it('quotes a batch without storing or enqueuing anything', async () => {
    const res = await request(server())
      .post(`${BATCH}/quote`)
      .set('Authorization', bearer())
      .send(batchBody(3))
      .expect(200);
    expect(res.body).toMatchObject({ provider: 'mock', model: 'mock-judge-1', comparisons: 3 });
    expect(res.body.batch_cost_usd).toBeGreaterThan(0);
    expect(t.store.records.size).toBe(0);
    await request(server()).post(`${BATCH}/quote`).send(batchBody(1)).expect(401);
  });

  it('refuses a batch whose quote is above max_cost_usd with 422 naming it; stores it with its quote otherwise', async () => {
    const refused = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send({ ...batchBody(2), max_cost_usd: 0 })
      .expect(422);
    expect(refused.body.error).toMatchObject({
      code: 'COST_LIMIT_EXCEEDED',
      field: 'max_cost_usd',
      retryable: false,
    });
    expect(t.store.records.size).toBe(0);
    expect(t.queues.jobs).toHaveLength(0);

    const bad = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send({ ...batchBody(2), max_cost_usd: -1 })
      .expect(400);
    expect(bad.body.error.field).toBe('max_cost_usd');

    const accepted = await request(server())
      .post(BATCH)
      .set('Authorization', bearer())
      .send({ ...batchBody(2), max_cost_usd: 10 })
      .expect(202);
    const status = await request(server())
      .get(`${BATCH}/${accepted.body.batch_id}`)
      .set('Authorization', bearer())
      .expect(200);
    expect(status.body.quote).toMatchObject({ comparisons: 2, provider: 'mock' });
    expect(status.body.cost_usd).toBe(0);
  });

  it('quotes an assessment from its pair design and refuses designs larger than one batch', async () => {
    const res = await request(server())
      .post('/api/v1/assessments/quote')
      .set('Authorization', bearer())
      .send(assessmentBody(3))
      .expect(200);
    expect(res.body.comparisons).toBe(3); // 3 essays x k=2 / 2
    const tooBig = await request(server())
      .post('/api/v1/assessments/quote')
      .set('Authorization', bearer())
      .send(assessmentBody(4))
      .expect(400);
    expect(tooBig.body.error.field).toBe('comparisons_per_essay');
    const missing = await request(server())
      .post('/api/v1/assessments/quote')
      .set('Authorization', bearer())
      .send({ ...assessmentBody(3), criteria: undefined })
      .expect(400);
    expect(missing.body.error.field).toBe('criteria');
    const longPrompt = await request(server())
      .post('/api/v1/assessments/quote')
      .set('Authorization', bearer())
      .send({ ...assessmentBody(3), criteria: 'x'.repeat(60) })
      .expect(400);
    expect(longPrompt.body.error.field).toBe('criteria');
  });
});
