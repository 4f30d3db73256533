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

type Body = Record<string, unknown>;

interface BadRequestCase {
  name: string;
  status: number;
  code: string;
  /** The field the error must name (undefined: must not name one). */
  field?: string;
  method?: 'post' | 'get';
  path?: string;
  /** Object bodies are sent as JSON; strings are sent raw. */
  body?: Body | string;
  contentType?: string;
  headers?: Record<string, string>;
  auth?: string | null;
}

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';
const UUID = '3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';

/** A batch body with one change to the first comparison. */
function withItem(change: Body, index = 0): Body {
  const body = batchBody(2);
  const items = body.comparisons as Body[];
  items[index] = { ...items[index], ...change };
  return body;
}

function without(body: Body, key: string, index?: number): Body {
  if (index === undefined) {
    const { [key]: _removed, ...rest } = body;
    return rest;
  }
  const items = body.comparisons as Body[];
  const { [key]: _removed, ...rest } = items[index];
  items[index] = rest;
  return body;
}

/** An essay-form body with one change to the first comparison (or, with `essay`, to the first essay). */
function essayWith(change: Body, target: 'comparisons' | 'essays' = 'comparisons'): Body {
  const body = essayBatchBody(2);
  const items = body[target] as Body[];
  items[0] = { ...items[0], ...change };
  return body;
}

const overrides = (o: Body): Body => ({ ...batchBody(2), llm_config_overrides: o });

const CASES: BadRequestCase[] = [
  // Malformed or non-JSON bodies
  { name: 'truncated JSON', status: 400, code: 'INVALID_REQUEST', body: '{"comparisons": [' },
  { name: 'JSON with a trailing comma', status: 400, code: 'INVALID_REQUEST', body: '{"comparisons": [],}' },
  { name: 'a JSON string as the body', status: 400, code: 'INVALID_REQUEST', body: '"just a string"' },
  { name: 'a JSON array as the body', status: 400, code: 'INVALID_REQUEST', body: '[]' },
  {
    name: 'text/plain body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    body: 'hello',
    contentType: 'text/plain',
  },
  {
    name: 'form-encoded body',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    body: 'comparisons=1',
    contentType: 'application/x-www-form-urlencoded',
  },
  {
    name: 'JSON in an unsupported charset',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    body: '{}',
    contentType: 'application/json; charset=latin1',
  },
  {
    name: 'body over the size limit',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    body: withItem({ essay_a: 'x'.repeat(20_000) }),
  },
  // Missing fields and wrong types
  { name: 'no body at all', status: 400, code: 'INVALID_REQUEST' },
  { name: 'empty object', status: 400, code: 'INVALID_REQUEST', field: 'comparisons', body: {} },
  {
    name: 'comparisons is a string',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: { comparisons: 'x' },
  },
  {
    name: 'comparisons is empty',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: { comparisons: [] },
  },
  {
    name: 'a comparison is null',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0]',
    body: { comparisons: [null] },
  },
  {
    name: 'comparison_id missing',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].comparison_id',
    body: without(batchBody(2), 'comparison_id', 0),
  },
  {
    name: 'comparison_id is a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[1].comparison_id',
    body: withItem({ comparison_id: 7 }, 1),
  },
  {
    name: 'comparison_id has spaces',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].comparison_id',
    body: withItem({ comparison_id: 'pair 1' }),
  },
  {
    name: 'comparison_id too long',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].comparison_id',
    body: withItem({ comparison_id: 'p'.repeat(129) }),
  },
  {
    name: 'essay_a missing',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_a',
    body: without(batchBody(2), 'essay_a', 0),
  },
  {
    name: 'essay_b empty',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_b',
    body: withItem({ essay_b: '' }),
  },
  {
    name: 'essay_a is a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_a',
    body: withItem({ essay_a: 42 }),
  },
  {
    name: 'user_prompt missing',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].user_prompt',
    body: without(batchBody(2), 'user_prompt', 0),
  },
  {
    name: 'metadata is a string',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: 'm' }),
  },
  {
    name: 'metadata is an array',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: [1] }),
  },
  {
    name: 'metadata.assessment_id is a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: { assessment_id: 5 } }),
  },
  // Unknown fields
  {
    name: 'unknown top-level field',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'model',
    body: { ...batchBody(2), model: 'x' },
  },
  {
    name: 'unknown comparison field',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_c',
    body: withItem({ essay_c: 'x' }),
  },
  {
    name: 'unknown override field',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.top_p',
    body: overrides({ top_p: 0.5 }),
  },
  // Provider and settings
  {
    name: 'unknown provider',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.provider_override',
    body: overrides({ provider_override: 'skynet' }),
  },
  {
    name: 'temperature above 2',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.temperature_override',
    body: overrides({ temperature_override: 3 }),
  },
  {
    name: 'temperature as a string',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.temperature_override',
    body: overrides({ temperature_override: '0.5' }),
  },
  {
    name: 'max_tokens zero',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.max_tokens_override',
    body: overrides({ max_tokens_override: 0 }),
  },
  {
    name: 'max_tokens fractional',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.max_tokens_override',
    body: overrides({ max_tokens_override: 1.5 }),
  },
  {
    name: 'model_override empty',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.model_override',
    body: overrides({ model_override: '' }),
  },
  {
    name: 'llm_config_overrides is a string',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides',
    body: { ...batchBody(2), llm_config_overrides: 'mock' },
  },
  {
    name: 'provider without credentials',
    status: 503,
    code: 'PROVIDER_NOT_CONFIGURED',
    field: 'llm_config_overrides.provider_override',
    body: overrides({ provider_override: 'anthropic' }),
  },
  // Priority, topic, correlation
  {
    name: 'priority above 10',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'priority',
    body: { ...batchBody(2), priority: 11 },
  },
  {
    name: 'priority below 0',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'priority',
    body: { ...batchBody(2), priority: -1 },
  },
  {
    name: 'priority fractional',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'priority',
    body: { ...batchBody(2), priority: 2.5 },
  },
  {
    name: 'priority as a word',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'priority',
    body: { ...batchBody(2), priority: 'high' },
  },
  {
    name: 'callback_topic with a slash',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 'results/topic' },
  },
  {
    name: 'callback_topic too long',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 't'.repeat(250) },
  },
  {
    name: 'correlation_id with invalid characters',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'correlation_id',
    body: { ...batchBody(2), correlation_id: 'corr id!' },
  },
  // Caps and duplicates
  {
    name: 'duplicate comparison_id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: withItem({ comparison_id: 'pair-0' }, 1),
  },
  {
    name: 'more comparisons than allowed',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: batchBody(4),
  },
  {
    name: 'essay longer than allowed',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[1].essay_b',
    body: withItem({ essay_b: 'x'.repeat(101) }, 1),
  },
  {
    name: 'prompt longer than allowed',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].user_prompt',
    body: withItem({ user_prompt: 'x'.repeat(51) }),
  },
  // Headers
  {
    name: 'Prefer wait not a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'Prefer',
    body: batchBody(2),
    headers: { Prefer: 'wait=soon' },
  },
  {
    name: 'Prefer wait negative',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'Prefer',
    body: batchBody(2),
    headers: { Prefer: 'wait=-1' },
  },
  {
    name: 'Idempotency-Key with spaces',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'Idempotency-Key',
    body: batchBody(2),
    headers: { 'Idempotency-Key': 'my key' },
  },
  // Auth
  {
    name: 'no Authorization header',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: null,
  },
  {
    name: 'wrong API key',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: bearer('wrong-key-0123456789abcdef'),
  },
  {
    name: 'Basic scheme',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: `Basic ${Buffer.from(`u:${TEST_API_KEYS[0]}`).toString('base64')}`,
  },
  {
    name: 'Bearer without a key',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: 'Bearer ',
  },
  {
    name: 'key with a suffix',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: bearer(`${TEST_API_KEYS[0]}x`),
  },
  {
    name: 'key as a prefix',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: bearer(TEST_API_KEYS[0].slice(0, -1)),
  },
  {
    name: 'auth checked before validation',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: {},
    auth: null,
  },
  // The individual endpoint
  {
    name: 'individual: essay_a missing',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essay_a',
    path: SINGLE,
    body: without(singleBody(), 'essay_a'),
  },
  {
    name: 'individual: priority 11',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'priority',
    path: SINGLE,
    body: { ...singleBody(), priority: 11 },
  },
  {
    name: 'individual: essay too long',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essay_a',
    path: SINGLE,
    body: { ...singleBody(), essay_a: 'x'.repeat(101) },
  },
  {
    name: 'individual: unknown field',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    path: SINGLE,
    body: { ...singleBody(), comparisons: [] },
  },
  {
    name: 'individual: bad callback topic',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    path: SINGLE,
    body: { ...singleBody(), callback_topic: 'bad topic' },
  },
  {
    name: 'individual: no auth',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    path: SINGLE,
    body: singleBody(),
    auth: null,
  },
  // Reads
  {
    name: 'batch status with a non-UUID id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'batch_id',
    method: 'get',
    path: `${BATCH}/not-a-uuid`,
  },
  { name: 'unknown batch', status: 404, code: 'NOT_FOUND', method: 'get', path: `${BATCH}/${UUID}` },
  {
    name: 'results with limit 0',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'limit',
    method: 'get',
    path: `${BATCH}/${UUID}/results?limit=0`,
  },
  {
    name: 'results with limit over the cap',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'limit',
    method: 'get',
    path: `${BATCH}/${UUID}/results?limit=51`,
  },
  {
    name: 'results with negative offset',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'offset',
    method: 'get',
    path: `${BATCH}/${UUID}/results?offset=-1`,
  },
  {
    name: 'results with unknown query',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'page',
    method: 'get',
    path: `${BATCH}/${UUID}/results?page=2`,
  },
  {
    name: 'cancel with a non-UUID id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'batch_id',
    path: `${BATCH}/nope/cancel`,
  },
  {
    name: 'comparison status with a non-UUID id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'queue_id',
    method: 'get',
    path: `${SINGLE}/nope`,
  },
  // The essay-referencing form (caps: 4 essays, 3 comparisons, 100 characters per essay, 50 per prompt)
  {
    name: 'essay form: more essays than MAX_ESSAYS_PER_BATCH',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays',
    body: essayBatchBody(2, 5),
  },
  {
    name: 'essay form: more comparisons than MAX_COMPARISONS_PER_BATCH',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: essayBatchBody(4),
  },
  {
    name: 'essay form: a comparison names an essay that is not sent',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_b_id',
    body: essayWith({ essay_b_id: 'e-99' }),
  },
  {
    name: 'essay form: an essay compared with itself',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_b_id',
    body: essayWith({ essay_b_id: 'e-0' }),
  },
  {
    name: 'essay form: duplicate essay_id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays[1].essay_id',
    body: {
      ...essayBatchBody(2),
      essays: [
        { essay_id: 'e-0', text: 'a' },
        { essay_id: 'e-0', text: 'b' },
      ],
    },
  },
  {
    name: 'essay form: duplicate comparison_id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[1].comparison_id',
    body: (() => {
      const body = essayBatchBody(2);
      (body.comparisons as Body[])[1].comparison_id = 'pair-0';
      return body;
    })(),
  },
  {
    name: 'essay form: essay text over MAX_ESSAY_CHARS',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays[0].text',
    body: essayWith({ text: 'x'.repeat(101) }, 'essays'),
  },
  {
    name: 'essay form: user_prompt missing',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'user_prompt',
    body: without(essayBatchBody(2), 'user_prompt'),
  },
  {
    name: 'essay form: a comparison carrying inline essays (one request uses one form)',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_a',
    body: essayWith({ essay_a: 'inline text' }),
  },
  {
    name: 'essay form: essays is not an array',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays',
    body: { ...essayBatchBody(2), essays: 'e-0' },
  },
];
describe('bad requests: the right status, the field named, nothing stored or enqueued', () => {
  let t: ApiTestApp;

  beforeAll(async () => {
    t = await createApiTestApp();
  });

  afterAll(async () => {
    await t.app.close();
  });

  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('$name → $status $code', async (c) => {
    const server = t.app.getHttpServer();
    const method = c.method ?? 'post';
    let req = request(server)[method](c.path ?? BATCH);
    if (c.auth !== null) req = req.set('Authorization', c.auth ?? bearer());
    for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
    if (c.body !== undefined) {
      req = req.set('Content-Type', c.contentType ?? 'application/json');
      req = req.send(typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
    }
    const res = await req;

    expect(res.status).toBe(c.status);
    expect(res.body.error).toMatchObject({ code: c.code, retryable: expect.any(Boolean) });
    expect(typeof res.body.error.message).toBe('string');
    expect(res.body.error.field).toBe(c.field);
    if (c.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    expect(t.store.records.size).toBe(0);
    expect(t.queues.jobs).toHaveLength(0);
  });
});
