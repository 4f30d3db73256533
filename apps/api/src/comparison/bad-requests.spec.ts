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
  /** Sent to an app with a larger body limit (the case is about JSON values, not bytes). */
  bodyLimit?: boolean;
}

const BATCH = '/api/v1/comparison/batch';
const SINGLE = '/api/v1/comparison';
const UUID = '3f2b8c1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f';
/** A batch (and an individual comparison) of tenant alpha, seeded before the cases run. */
const FOREIGN = '7d0e6a52-5b8c-4f0e-9a57-2b6c1d9e8f10';
const FOREIGN_SINGLE = '9c1f7b63-6c9d-4a1f-8b68-3c7d2e0f9a21';

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
  // Cost limit
  {
    name: 'max_cost_usd negative',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'max_cost_usd',
    body: { ...batchBody(2), max_cost_usd: -1 },
  },
  {
    name: 'max_cost_usd as a string',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'max_cost_usd',
    body: { ...batchBody(2), max_cost_usd: '5' },
  },
  {
    name: 'max_cost_usd below the quote',
    status: 422,
    code: 'COST_LIMIT_EXCEEDED',
    field: 'max_cost_usd',
    body: { ...batchBody(2), max_cost_usd: 0 },
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
  {
    name: 'essay form: essay text is a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays[0].text',
    body: essayWith({ text: 42 }, 'essays'),
  },
  {
    name: 'essay form: an essay with an unknown field',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays[0].title',
    body: essayWith({ title: 'x' }, 'essays'),
  },
  {
    name: 'essay form: essay_a_id not a caller id',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].essay_a_id',
    body: essayWith({ essay_a_id: 'has space' }),
  },
  {
    name: 'essay form: metadata.assessment_id empty',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: essayWith({ metadata: { assessment_id: '' } }),
  },
  {
    name: 'essay form: a single essay',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'essays',
    body: { ...essayBatchBody(2), essays: [{ essay_id: 'e-0', text: 'a' }] },
  },
];

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { n: nested(depth - 1) });
const single = (change: Body): Body => ({ ...singleBody(), ...change });
const LONE_HIGH = 'text \ud800 more';
const LONE_LOW = 'text \udc00 more';

/** Hostile input (issue 10): text, metadata, caps before parsing, callback topics, tenants. */
const HOSTILE_CASES: BadRequestCase[] = [
  // NUL and unpaired surrogates, named by field, on every text field of both endpoints
  ...(['user_prompt', 'essay_a', 'essay_b'] as const).flatMap((field): BadRequestCase[] => [
    {
      name: `${field} with NUL`,
      status: 400,
      code: 'INVALID_REQUEST',
      field: `comparisons[1].${field}`,
      body: withItem({ [field]: 'a\u0000b' }, 1),
    },
    {
      name: `${field} with a lone high surrogate`,
      status: 400,
      code: 'INVALID_REQUEST',
      field: `comparisons[0].${field}`,
      body: withItem({ [field]: LONE_HIGH }),
    },
    {
      name: `${field} with a lone low surrogate`,
      status: 400,
      code: 'INVALID_REQUEST',
      field: `comparisons[0].${field}`,
      body: withItem({ [field]: LONE_LOW }),
    },
    {
      name: `individual: ${field} with NUL`,
      status: 400,
      code: 'INVALID_REQUEST',
      field,
      path: SINGLE,
      body: single({ [field]: '\u0000' }),
    },
    {
      name: `individual: ${field} with a lone surrogate`,
      status: 400,
      code: 'INVALID_REQUEST',
      field,
      path: SINGLE,
      body: single({ [field]: LONE_HIGH }),
    },
    {
      name: `${field} is null`,
      status: 400,
      code: 'INVALID_REQUEST',
      field: `comparisons[0].${field}`,
      body: withItem({ [field]: null }),
    },
    {
      name: `${field} is an object`,
      status: 400,
      code: 'INVALID_REQUEST',
      field: `comparisons[0].${field}`,
      body: withItem({ [field]: { text: 'x' } }),
    },
  ]),
  {
    name: 'metadata string with NUL',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.note',
    body: withItem({ metadata: { note: 'a\u0000' } }),
  },
  {
    name: 'metadata string with a lone surrogate',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.note',
    body: withItem({ metadata: { note: LONE_HIGH } }),
  },
  {
    name: 'metadata key with a lone surrogate',
    status: 400,
    code: 'INVALID_REQUEST',
    field: `comparisons[0].metadata.${LONE_LOW}`,
    body: withItem({ metadata: { [LONE_LOW]: 1 } }),
  },
  {
    name: 'metadata array item with NUL',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.tags[1]',
    body: withItem({ metadata: { tags: ['ok', '\u0000'] } }),
  },
  {
    name: 'model_override with NUL',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.model_override',
    body: overrides({ model_override: 'mock\u0000' }),
  },
  {
    name: 'system_prompt_override with a lone surrogate',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides.system_prompt_override',
    body: overrides({ system_prompt_override: LONE_HIGH }),
  },
  // Metadata: prototype keys refused (not dropped), depth, bytes, numbers JSON cannot carry exactly
  {
    name: 'metadata __proto__ key',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.__proto__',
    body: '{"comparisons":[{"comparison_id":"p","user_prompt":"u","essay_a":"a","essay_b":"b","metadata":{"__proto__":{"admin":true}}}]}',
  },
  {
    name: 'nested metadata __proto__ key',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.a.__proto__',
    body: '{"comparisons":[{"comparison_id":"p","user_prompt":"u","essay_a":"a","essay_b":"b","metadata":{"a":{"__proto__":1}}}]}',
  },
  {
    name: 'metadata constructor key',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.constructor',
    body: withItem({ metadata: { constructor: { prototype: 1 } } }),
  },
  {
    name: 'metadata prototype key',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.x.prototype',
    body: withItem({ metadata: { x: { prototype: 1 } } }),
  },
  {
    name: 'individual: metadata __proto__ key',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'metadata.__proto__',
    path: SINGLE,
    body: '{"user_prompt":"u","essay_a":"a","essay_b":"b","metadata":{"__proto__":1}}',
  },
  {
    name: 'metadata deeper than allowed',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.n.n.n.n',
    body: withItem({ metadata: nested(5) }),
  },
  {
    name: 'metadata arrays deeper than allowed',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.a[0][0][0]',
    body: withItem({ metadata: { a: [[[[1]]]] } }),
  },
  {
    name: 'metadata over the byte limit',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[1].metadata',
    body: withItem({ metadata: { note: 'x'.repeat(600) } }, 1),
  },
  {
    name: 'metadata over the byte limit in multi-byte text',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: { note: 'é'.repeat(300) } }),
  },
  {
    name: 'individual: metadata over the byte limit',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'metadata',
    path: SINGLE,
    body: single({ metadata: { note: 'x'.repeat(600) } }),
  },
  {
    name: 'metadata number too large to echo exactly',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.id',
    body: '{"comparisons":[{"comparison_id":"p","user_prompt":"u","essay_a":"a","essay_b":"b","metadata":{"id":12345678901234567890}}]}',
  },
  {
    name: 'metadata number beyond double range',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata.x',
    body: '{"comparisons":[{"comparison_id":"p","user_prompt":"u","essay_a":"a","essay_b":"b","metadata":{"x":1e400}}]}',
  },
  {
    name: 'metadata is null',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: null }),
  },
  {
    name: 'metadata.assessment_id empty',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: { assessment_id: '' } }),
  },
  {
    name: 'metadata.assessment_id too long',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].metadata',
    body: withItem({ metadata: { assessment_id: 'a'.repeat(129) } }),
  },
  // model_override must be a catalog model of the provider, refused at once (not a 202 that fails later)
  ...['no-such-model', 'gpt-5-mini', 'claude-sonnet-4-6', 'gemini-2.5-flash'].map(
    (model): BadRequestCase => ({
      name: `model_override ${JSON.stringify(model)} not in the mock catalog`,
      status: 400,
      code: 'INVALID_REQUEST',
      field: 'llm_config_overrides.model_override',
      body: overrides({ provider_override: 'mock', model_override: model }),
    }),
  ),
  // Caps and shapes checked before per-item work
  {
    name: 'far more comparisons than allowed (refused before parsing them)',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: `{"comparisons":[${Array.from({ length: 500 }, () => '{}').join(',')}]}`,
  },
  {
    name: 'over-cap comparisons that are not even valid JSON past the cap',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: `{"comparisons":[{},{},{},{},{oops` + '}]}',
  },
  {
    name: 'nesting deeper than any request needs',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: `{"comparisons":[{"metadata":${'['.repeat(40)}${']'.repeat(40)}}]}`,
  },
  {
    name: 'one comparison holding too many JSON values',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0]',
    body: `{"comparisons":[{"metadata":[${Array.from({ length: 25_000 }, () => '0').join(',')}]}]}`,
    bodyLimit: true,
  },
  {
    name: 'a top-level value holding too many JSON values',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'llm_config_overrides',
    body: `{"llm_config_overrides":{"x":[${Array.from({ length: 25_000 }, () => '0').join(',')}]},"comparisons":[]}`,
    bodyLimit: true,
  },
  {
    name: 'comparisons is an object',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: { comparisons: { 0: {} } },
  },
  {
    name: 'comparisons is null',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: { comparisons: null },
  },
  {
    name: 'a comparison is an array',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[1]',
    body: { comparisons: [batchBody(1).comparisons as unknown, []].flat().slice(0, 1).concat([[]]) },
  },
  {
    name: 'a comparison is a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0]',
    body: { comparisons: [7] },
  },
  {
    name: 'duplicate comparison_id far apart',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons',
    body: {
      comparisons: [
        ...(batchBody(3).comparisons as Body[]).slice(0, 2),
        { ...(batchBody(1).comparisons as Body[])[0] },
      ],
    },
  },
  {
    name: 'comparison_id empty',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].comparison_id',
    body: withItem({ comparison_id: '' }),
  },
  {
    name: 'comparison_id with NUL',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].comparison_id',
    body: withItem({ comparison_id: 'p\u0000' }),
  },
  {
    name: 'comparison_id with a slash',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparisons[0].comparison_id',
    body: withItem({ comparison_id: 'a/b' }),
  },
  {
    name: 'individual: comparison_id with spaces',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'comparison_id',
    path: SINGLE,
    body: single({ comparison_id: 'a b' }),
  },
  {
    name: 'individual: prompt longer than allowed',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'user_prompt',
    path: SINGLE,
    body: single({ user_prompt: 'x'.repeat(51) }),
  },
  {
    name: 'individual: metadata is an array',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'metadata',
    path: SINGLE,
    body: single({ metadata: [] }),
  },
  {
    name: 'individual: a JSON array body',
    status: 400,
    code: 'INVALID_REQUEST',
    path: SINGLE,
    body: '[{"user_prompt":"u"}]',
  },
  {
    name: 'individual: malformed JSON',
    status: 400,
    code: 'INVALID_REQUEST',
    path: SINGLE,
    body: '{"user_prompt":',
  },
  { name: 'JSON with a comment', status: 400, code: 'INVALID_REQUEST', body: '{"comparisons": [] /* hi */}' },
  { name: 'JSON with single quotes', status: 400, code: 'INVALID_REQUEST', body: "{'comparisons': []}" },
  {
    name: 'two JSON objects back to back',
    status: 400,
    code: 'INVALID_REQUEST',
    body: '{"comparisons":[]}{"x":1}',
  },
  {
    name: 'JSON declared as utf-16',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    body: '{}',
    contentType: 'application/json; charset=utf-16',
  },
  {
    name: 'individual: body over the size limit',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    path: SINGLE,
    body: single({ essay_a: 'x'.repeat(20_000) }),
  },
  // Callback topics: internal never, other tenants' never, missing never (and never created)
  {
    name: 'callback_topic is an assessment topic',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 'huleedu.cj_assessment.completed.v1' },
  },
  {
    name: 'callback_topic is the assessment request topic',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 'huleedu.els.cj_assessment.requested.v1' },
  },
  {
    name: 'callback_topic is a Kafka internal topic',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: '__consumer_offsets' },
  },
  {
    name: 'callback_topic ..',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: '..' },
  },
  {
    name: 'callback_topic of cj-integration',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 'huleedu.cj_integration.comparison_result.v1' },
  },
  {
    name: 'callback_topic of another tenant',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 'alpha.results.v1' },
    auth: bearer(TEST_API_KEYS[1]),
  },
  {
    name: 'callback_topic allowed but missing on the broker',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 'alpha.missing.v1' },
  },
  {
    name: 'callback_topic is a number',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    body: { ...batchBody(2), callback_topic: 7 },
  },
  {
    name: 'individual: callback_topic internal',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'callback_topic',
    path: SINGLE,
    body: single({ callback_topic: 'huleedu.cj_assessment.failed.v1' }),
  },
  // Tenants: another tenant's ids answer like unknown ones (seeded below), keys never cross
  {
    name: 'another tenant’s batch status',
    status: 404,
    code: 'NOT_FOUND',
    method: 'get',
    path: `${BATCH}/${FOREIGN}`,
    auth: bearer(TEST_API_KEYS[1]),
  },
  {
    name: 'another tenant’s results page',
    status: 404,
    code: 'NOT_FOUND',
    method: 'get',
    path: `${BATCH}/${FOREIGN}/results`,
    auth: bearer(TEST_API_KEYS[1]),
  },
  {
    name: 'another tenant’s cancel',
    status: 404,
    code: 'NOT_FOUND',
    path: `${BATCH}/${FOREIGN}/cancel`,
    auth: bearer(TEST_API_KEYS[1]),
  },
  {
    name: 'another tenant’s individual comparison',
    status: 404,
    code: 'NOT_FOUND',
    method: 'get',
    path: `${SINGLE}/${FOREIGN_SINGLE}`,
    auth: bearer(TEST_API_KEYS[1]),
  },
  {
    name: 'a tenant:key entry sent as the key',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: bearer(`alpha:${TEST_API_KEYS[0]}`),
  },
  {
    name: 'two keys in one header',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: batchBody(2),
    auth: `Bearer ${TEST_API_KEYS[0]} ${TEST_API_KEYS[1]}`,
  },
  {
    name: 'unauthenticated huge body is refused without parsing',
    status: 401,
    code: 'AUTHENTICATION_ERROR',
    field: 'Authorization',
    body: `{"comparisons":[${'{},'.repeat(3000)}{}]}`,
    auth: null,
  },
  {
    name: 'correlation_id too long',
    status: 400,
    code: 'INVALID_REQUEST',
    field: 'correlation_id',
    body: { ...batchBody(2), correlation_id: 'c'.repeat(129) },
  },
];
CASES.push(...HOSTILE_CASES);

const ASSESSMENTS = '/api/v1/assessments';
const ASSESSMENT_QUOTE = '/api/v1/assessments/quote';
const BATCH_QUOTE = '/api/v1/comparison/batch/quote';

/** A valid assessment body (3 essays at k = 2: 3 comparisons, within the test caps) with one change. */
function assessment(change: Body = {}): Body {
  const body: Body = {
    assessment_id: 'asmt-bad-1',
    essays: [
      { essay_id: 'e1', text: 'First essay.' },
      { essay_id: 'e2', text: 'Second essay.' },
      { essay_id: 'e3', text: 'Third essay.' },
    ],
    assignment: 'Argue.',
    criteria: 'Reasons.',
    llm_config: { provider_override: 'mock' },
    comparisons_per_essay: 2,
    ...change,
  };
  for (const [key, value] of Object.entries(change)) if (value === undefined) delete body[key];
  return body;
}
const essay = (i: number, change: Body): Body => {
  const essays = (assessment().essays as Body[]).map((e) => ({ ...e }));
  essays[i] = { ...essays[i], ...change };
  return assessment({ essays });
};

/** Bad assessment bodies: POST /assessments and /assessments/quote share one linear validator. */
const ASSESSMENT_BODIES: Array<[string, Body | string, string | undefined]> = [
  ['a JSON array as the body', '[]', undefined],
  ['an unknown field', assessment({ callback_topic: 'x' }), 'callback_topic'],
  ['missing essays', assessment({ essays: undefined }), 'essays'],
  ['essays not an array', assessment({ essays: { e1: 'x' } }), 'essays'],
  ['one essay', assessment({ essays: [{ essay_id: 'e1', text: 'x' }] }), 'essays'],
  [
    'more essays than MAX_ESSAYS_PER_BATCH',
    assessment({ essays: Array.from({ length: 5 }, (_, i) => ({ essay_id: `e${i}`, text: 'x' })) }),
    'essays',
  ],
  ['an essay that is not an object', assessment({ essays: ['a', 'b'] }), 'essays[0]'],
  ['an unknown essay field', essay(1, { score: 3 }), 'essays[1].score'],
  ['an essay id with a slash', essay(0, { essay_id: 'a/b' }), 'essays[0].essay_id'],
  ['a duplicate essay id', essay(2, { essay_id: 'e1' }), 'essays[2].essay_id'],
  ['empty essay text', essay(1, { text: '' }), 'essays[1].text'],
  ['essay text not a string', essay(1, { text: 7 }), 'essays[1].text'],
  ['NUL in an essay', essay(2, { text: 'a\u0000b' }), 'essays[2].text'],
  ['an unpaired surrogate in an essay', essay(0, { text: 'a\ud800' }), 'essays[0].text'],
  ['an essay over MAX_ESSAY_CHARS', essay(0, { text: 'x'.repeat(101) }), 'essays[0].text'],
  ['assessment_id with a space', assessment({ assessment_id: 'a b' }), 'assessment_id'],
  ['missing assignment', assessment({ assignment: undefined }), 'assignment'],
  ['NUL in the criteria', assessment({ criteria: 'a\u0000' }), 'criteria'],
  ['an unpaired surrogate in the instructions', assessment({ instructions: '\udc00' }), 'instructions'],
  [
    'prompts over MAX_PROMPT_CHARS together',
    assessment({ assignment: 'a'.repeat(30), criteria: 'c'.repeat(30) }),
    'criteria',
  ],
  ['missing llm_config', assessment({ llm_config: undefined }), 'llm_config'],
  [
    'an unknown provider',
    assessment({ llm_config: { provider_override: 'acme' } }),
    'llm_config.provider_override',
  ],
  [
    'an unknown config field',
    assessment({ llm_config: { provider_override: 'mock', top_p: 1 } }),
    'llm_config.top_p',
  ],
  [
    'NUL in the system prompt',
    assessment({ llm_config: { provider_override: 'mock', system_prompt_override: 'a\u0000' } }),
    'llm_config.system_prompt_override',
  ],
  [
    'two configs that disagree',
    assessment({ llm_config_overrides: { provider_override: 'anthropic' } }),
    'llm_config_overrides',
  ],
  ['zero comparisons per essay', assessment({ comparisons_per_essay: 0 }), 'comparisons_per_essay'],
  ['a fractional seed', assessment({ seed: 1.5 }), 'seed'],
  ['both_orders as a string', assessment({ both_orders: 'yes' }), 'both_orders'],
  ['an unknown design mode', assessment({ design: { mode: 'random' } }), 'design.mode'],
  [
    'adaptive without a target',
    assessment({ design: { mode: 'adaptive', max_comparisons_per_essay: 6 } }),
    'design.target_reliability',
  ],
  [
    'adaptive with both orders',
    assessment({
      design: { mode: 'adaptive', target_reliability: 0.8, max_comparisons_per_essay: 6 },
      both_orders: true,
    }),
    'both_orders',
  ],
  ['a negative max_cost_usd', assessment({ max_cost_usd: -1 }), 'max_cost_usd'],
];
for (const path of [ASSESSMENTS, ASSESSMENT_QUOTE]) {
  for (const [name, body, field] of ASSESSMENT_BODIES) {
    CASES.push({ name: `${path}: ${name}`, path, status: 400, code: 'INVALID_REQUEST', field, body });
  }
}
/** The upload header is the same body without essays, checked by the same validator. */
const ASSESSMENT_UPLOADS = '/api/v1/assessments/uploads';
for (const [name, body, field] of ASSESSMENT_BODIES) {
  if (typeof body !== 'object' || field?.startsWith('essays')) continue;
  const { essays: _essays, ...header } = body;
  CASES.push({
    name: `${ASSESSMENT_UPLOADS}: ${name}`,
    path: ASSESSMENT_UPLOADS,
    status: 400,
    code: 'INVALID_REQUEST',
    field,
    body: header,
  });
}
CASES.push({
  name: `${ASSESSMENT_UPLOADS}: essays in the header (they come in parts)`,
  path: ASSESSMENT_UPLOADS,
  status: 400,
  code: 'INVALID_REQUEST',
  field: 'essays',
  body: assessment(),
});

/** The batch quote takes the batch body and shares its validation (both forms). */
const BATCH_QUOTE_BODIES: Array<[string, Body | string, string | undefined]> = [
  ['truncated JSON', '{"comparisons": [', undefined],
  ['comparisons over MAX_COMPARISONS_PER_BATCH', batchBody(4), 'comparisons'],
  ['a duplicate comparison_id', withItem({ comparison_id: 'pair-1' }), 'comparisons'],
  ['NUL in essay_a', withItem({ essay_a: 'a\u0000' }), 'comparisons[0].essay_a'],
  ['an unpaired surrogate in the prompt', withItem({ user_prompt: '\ud83d' }), 'comparisons[0].user_prompt'],
  ['essay_b over MAX_ESSAY_CHARS', withItem({ essay_b: 'x'.repeat(101) }, 1), 'comparisons[1].essay_b'],
  [
    'a __proto__ key in metadata',
    withItem({ metadata: JSON.parse('{"__proto__":{"x":1}}') as Body }),
    'comparisons[0].metadata.__proto__',
  ],
  [
    'an unknown model',
    overrides({ provider_override: 'mock', model_override: 'gpt-4o' }),
    'llm_config_overrides.model_override',
  ],
  ['an unknown item field', withItem({ extra: 1 }), 'comparisons[0].extra'],
  ['essay form: an unknown essay id', essayWith({ essay_a_id: 'nope' }), 'comparisons[0].essay_a_id'],
];
for (const [name, body, field] of BATCH_QUOTE_BODIES) {
  CASES.push({
    name: `${BATCH_QUOTE}: ${name}`,
    path: BATCH_QUOTE,
    status: 400,
    code: 'INVALID_REQUEST',
    field,
    body,
  });
}

/** Alpha's own work, which the other tenant's cases must not see or touch. */
async function seedForeignWork(t: ApiTestApp): Promise<void> {
  for (const [batchId, kind] of [
    [FOREIGN, 'batch'],
    [FOREIGN_SINGLE, 'single'],
  ] as const) {
    await t.store.create(
      {
        batch_id: batchId,
        tenant_id: 'alpha',
        kind,
        mode: 'batch',
        correlation_id: batchId,
        assessment_id: null,
        callback_topic: 'huleedu.llm_provider.comparison_result.v1',
        priority: 5,
        config: {
          provider: 'mock',
          model: 'mock-judge-1',
          temperature: 0,
          max_tokens: 16,
          system_prompt: 's',
        },
        comparison_count: 1,
        request_hash: 'seed',
        idempotency_key: null,
        created_at: new Date().toISOString(),
      },
      [{ comparison_id: 'c', user_prompt: 'u', essay_a: 'a', essay_b: 'b' }],
    );
  }
}

describe('bad requests: the right status, the field named, nothing stored, enqueued or sent', () => {
  let t: ApiTestApp;
  /** Same pipeline with a 1 MB body limit, for cases about JSON values rather than bytes. */
  let roomy: ApiTestApp;

  beforeAll(async () => {
    t = await createApiTestApp();
    roomy = await createApiTestApp({ bodyLimit: '1mb' });
    await seedForeignWork(t);
  });

  afterAll(async () => {
    await t.app.close();
    await roomy.app.close();
  });

  it('has at least 120 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(120);
  });

  it.each(CASES)('$name → $status $code', async (c) => {
    const app = c.bodyLimit ? roomy : t;
    const before = JSON.stringify([...app.store.records.values()]);
    const server = app.app.getHttpServer();
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
    // Nothing stored or changed, nothing enqueued (the api reaches providers only through the queues).
    expect(JSON.stringify([...app.store.records.values()])).toBe(before);
    expect(app.queues.jobs).toHaveLength(0);
    expect(app.assessmentSubmissions).toHaveLength(0);
  });

  it('lets a valid assessment through the same validator (so the refusals above are about the one change)', async () => {
    for (const path of [ASSESSMENTS, ASSESSMENT_QUOTE]) {
      const res = await request(t.app.getHttpServer())
        .post(path)
        .set('Authorization', bearer())
        .send(assessment());
      expect([200, 202]).toContain(res.status);
    }
    expect(t.assessmentSubmissions).toHaveLength(1);
    t.assessmentSubmissions.length = 0;
  });
});
