import request from 'supertest';
import { webhookUrlToken } from '#batch-store';
import { openAiBatchEventBody, standardWebhookHeaders } from '#llm-providers/testing';
import {
  batchBody,
  bearer,
  createApiTestApp,
  TEST_WEBHOOK_SECRETS,
  type ApiTestApp,
} from '../testing/api-test-app.js';

const signed = standardWebhookHeaders;
const openaiEvent = (type: string, providerBatchId: string) => openAiBatchEventBody(type, providerBatchId);

describe('provider webhooks (/webhooks/<provider>)', () => {
  let t: ApiTestApp;
  let batchId: string;
  const server = () => t.app.getHttpServer();

  beforeEach(async () => {
    t = await createApiTestApp();
    const accepted = await request(server())
      .post('/api/v1/comparison/batch')
      .set('Authorization', bearer())
      .send(batchBody(2));
    batchId = accepted.body.batch_id as string;
    await t.wakeups.indexProviderBatches(batchId, 'openai', ['batch_abc']);
    await t.wakeups.indexProviderBatches(batchId, 'google', ['batches/gem-1']);
  });

  afterEach(async () => {
    await t.app.close();
  });

  it('OpenAI: a verified batch.completed wakes the batch at once, without an API key', async () => {
    const body = openaiEvent('batch.completed', 'batch_abc');
    const res = await request(server())
      .post('/webhooks/openai')
      .set(signed(body, TEST_WEBHOOK_SECRETS.openai, 'wh_1'))
      .send(body)
      .expect(200);
    expect(res.body).toEqual({ status: 'woken', batch_id: batchId });
    expect(t.queues.promoted).toEqual([batchId]);
    expect(t.wakeups.wakes.has(batchId)).toBe(true);
  });

  it('OpenAI: a forged signature is 401 and changes nothing', async () => {
    const body = openaiEvent('batch.completed', 'batch_abc');
    const res = await request(server())
      .post('/webhooks/openai')
      .set(signed(body, `whsec_${Buffer.from('someone-else-secret-0123456789').toString('base64')}`, 'wh_2'))
      .send(body)
      .expect(401);
    expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
    // A body altered after signing is refused the same way.
    const tampered = await request(server())
      .post('/webhooks/openai')
      .set(signed(body, TEST_WEBHOOK_SECRETS.openai, 'wh_3'))
      .send(openaiEvent('batch.completed', 'batch_other'))
      .expect(401);
    expect(tampered.body.error.code).toBe('AUTHENTICATION_ERROR');
    await request(server())
      .post('/webhooks/openai')
      .set('content-type', 'application/json')
      .send(body)
      .expect(401);
    expect(t.queues.promoted).toEqual([]);
    expect(t.wakeups.wakes.size).toBe(0);
  });

  it('OpenAI: a replay outside the 5-minute window is 401; a duplicate delivery is harmless', async () => {
    const body = openaiEvent('batch.completed', 'batch_abc');
    const old = Math.floor(Date.now() / 1000) - 600;
    await request(server())
      .post('/webhooks/openai')
      .set(signed(body, TEST_WEBHOOK_SECRETS.openai, 'wh_4', old))
      .send(body)
      .expect(401);
    expect(t.queues.promoted).toEqual([]);

    const headers = signed(body, TEST_WEBHOOK_SECRETS.openai, 'wh_5');
    await request(server()).post('/webhooks/openai').set(headers).send(body).expect(200);
    const again = await request(server()).post('/webhooks/openai').set(headers).send(body).expect(200);
    expect(again.body).toEqual({ status: 'duplicate', batch_id: batchId });
    expect(t.queues.promoted).toEqual([batchId]);
  });

  it('OpenAI: events for batches that are not ours, or that are not an end, are acknowledged and ignored', async () => {
    for (const [id, body] of [
      ['wh_6', openaiEvent('batch.completed', 'batch_unknown')],
      ['wh_7', JSON.stringify({ id: 'evt_r', type: 'response.completed', data: { id: 'resp_1' } })],
    ]) {
      const res = await request(server())
        .post('/webhooks/openai')
        .set(signed(body, TEST_WEBHOOK_SECRETS.openai, id))
        .send(body)
        .expect(200);
      expect(res.body).toEqual({ status: 'ignored' });
    }
    expect(t.queues.promoted).toEqual([]);
  });

  it('Gemini: a project webhook with a valid Standard Webhooks signature wakes the batch; a forged one is 401', async () => {
    const body = JSON.stringify({ type: 'batch.succeeded', data: { name: 'batches/gem-1' } });
    await request(server())
      .post('/webhooks/google')
      .set(signed(body, 'not-the-gemini-secret-0123456789', 'g_1'))
      .send(body)
      .expect(401);
    expect(t.queues.promoted).toEqual([]);
    const res = await request(server())
      .post('/webhooks/google')
      .set(signed(body, TEST_WEBHOOK_SECRETS.gemini, 'g_2'))
      .send(body)
      .expect(200);
    expect(res.body).toEqual({ status: 'woken', batch_id: batchId });
  });

  it('OpenRouter and Gemini per-batch webhooks are verified by the token in the URL we gave them', async () => {
    const token = webhookUrlToken(TEST_WEBHOOK_SECRETS.url, 'openrouter', batchId);
    const body = JSON.stringify({ id: 'orb_1', status: 'completed' });
    await request(server())
      .post(`/webhooks/openrouter?batch=${batchId}&token=${'x'.repeat(token.length)}`)
      .set('content-type', 'application/json')
      .send(body)
      .expect(401);
    // A token for another provider (or another batch) does not verify either.
    const googleToken = webhookUrlToken(TEST_WEBHOOK_SECRETS.url, 'google', batchId);
    await request(server())
      .post(`/webhooks/openrouter?batch=${batchId}&token=${googleToken}`)
      .set('content-type', 'application/json')
      .send(body)
      .expect(401);
    expect(t.queues.promoted).toEqual([]);
    const res = await request(server())
      .post(`/webhooks/openrouter?batch=${batchId}&token=${token}`)
      .set('content-type', 'application/json')
      .send(body)
      .expect(200);
    expect(res.body).toEqual({ status: 'woken', batch_id: batchId });

    const gemini = JSON.stringify({ type: 'batch.succeeded', data: { name: 'batches/x' } });
    const viaUrl = await request(server())
      .post(`/webhooks/google?batch=${batchId}&token=${googleToken}`)
      .set('content-type', 'application/json')
      .send(gemini)
      .expect(200);
    expect(viaUrl.body).toEqual({ status: 'woken', batch_id: batchId });
  });

  it('a verified but malformed body is 400; an unknown provider is 404', async () => {
    const body = 'not json';
    const res = await request(server())
      .post('/webhooks/google')
      .set(signed(body, TEST_WEBHOOK_SECRETS.gemini, 'g_3'))
      .send(body)
      .expect(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    await request(server())
      .post('/webhooks/anthropic')
      .set('content-type', 'application/json')
      .send('{}')
      .expect(404);
    expect(t.queues.promoted).toEqual([]);
  });
});
