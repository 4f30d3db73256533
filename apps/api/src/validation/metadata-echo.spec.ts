import request from 'supertest';
import { bearer, batchBody, createApiTestApp, type ApiTestApp } from '../testing/api-test-app.js';

describe('metadata is stored exactly as sent', () => {
  let t: ApiTestApp;

  beforeAll(async () => {
    t = await createApiTestApp({ bodyLimit: '64kb' });
  });

  afterAll(async () => {
    await t.app.close();
  });

  it('keeps key order, unicode, floats, nulls, booleans, empty containers and nesting byte for byte', async () => {
    const metadataText =
      '{"z":1,"a":[1.5,{"é":"😀 — \\"quoted\\""},[]],"n":null,"t":true,"f":false,"o":{},"big":9007199254740991,"neg":-0.25,"e":1e-7}';
    const body = batchBody(1);
    const text = JSON.stringify(body).replace(/"metadata":\{[^}]*\}/, `"metadata":${metadataText}`);
    const res = await request(t.app.getHttpServer())
      .post('/api/v1/comparison/batch')
      .set('Authorization', bearer())
      .set('Content-Type', 'application/json')
      .send(text)
      .expect(202);
    const [stored] = await t.store.getRequests(res.body.batch_id);
    expect(JSON.stringify(stored.metadata)).toBe(JSON.stringify(JSON.parse(metadataText)));
    expect(Object.keys(stored.metadata!)).toEqual(['z', 'a', 'n', 't', 'f', 'o', 'big', 'neg', 'e']);
  });
});
