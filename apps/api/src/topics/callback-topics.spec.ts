import request from 'supertest';
import {
  bearer,
  batchBody,
  createApiTestApp,
  TEST_API_KEYS,
  type ApiTestApp,
} from '../testing/api-test-app.js';
import { parseTenantCallbackTopics } from './tenant-callback-topics.js';

const BATCH = '/api/v1/comparison/batch';
const [ALPHA, BETA] = TEST_API_KEYS;

describe('callback topics: allowed per tenant, never internal, must exist', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();

  beforeAll(async () => {
    t = await createApiTestApp();
  });

  afterAll(async () => {
    await t.app.close();
  });

  it('uses the platform result topic by default and accepts a topic configured for the tenant', async () => {
    const plain = await request(server()).post(BATCH).set('Authorization', bearer(BETA)).send(batchBody(1));
    expect(t.store.records.get(plain.body.batch_id)!.callback_topic).toBe(
      'huleedu.llm_provider.comparison_result.v1',
    );
    const own = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(ALPHA))
      .send({ ...batchBody(1), correlation_id: 'own-topic', callback_topic: 'alpha.results.v1' })
      .expect(202);
    expect(t.store.records.get(own.body.batch_id)!.callback_topic).toBe('alpha.results.v1');
  });

  it.each([
    [BETA, 'alpha.results.v1', /not allowed/],
    [BETA, 'beta.results.v1', /not allowed/],
    [ALPHA, 'huleedu.cj_integration.comparison_result.v1', /not allowed/],
    [ALPHA, 'alpha.missing.v1', /does not exist/],
    [ALPHA, 'huleedu.cj_assessment.completed.v1', /internal/],
    [ALPHA, 'huleedu.els.cj_assessment.requested.v1', /internal/],
    [ALPHA, '__consumer_offsets', /internal/],
  ])('refuses %#: %s naming callback_topic, storing nothing', async (key, topic, message) => {
    const before = t.store.records.size;
    const res = await request(server())
      .post(BATCH)
      .set('Authorization', bearer(key))
      .send({ ...batchBody(1), correlation_id: `c-${topic}`, callback_topic: topic });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'callback_topic' });
    expect(res.body.error.message).toMatch(message);
    expect(t.store.records.size).toBe(before);
  });
});

describe('parseTenantCallbackTopics (TENANT_CALLBACK_TOPICS)', () => {
  it('reads tenants and their topics', () => {
    const parsed = parseTenantCallbackTopics(
      '{"cj":["huleedu.cj_integration.comparison_result.v1"],"a":[]}',
      'huleedu',
    );
    expect([...parsed.get('cj')!]).toEqual(['huleedu.cj_integration.comparison_result.v1']);
    expect(parsed.get('a')!.size).toBe(0);
    expect(parseTenantCallbackTopics('', 'huleedu').size).toBe(0);
  });

  it.each([
    ['not json', /JSON object/],
    ['["x"]', /JSON object/],
    ['{"bad tenant":["t"]}', /tenant name/],
    ['{"a":"topic"}', /array/],
    ['{"a":["bad topic"]}', /array of Kafka topic names/],
    ['{"a":["huleedu.cj_assessment.completed.v1"]}', /internal/],
  ])('refuses %s', (value, message) => {
    expect(() => parseTenantCallbackTopics(value, 'huleedu')).toThrow(message);
  });
});
