import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { BatchRepository, REQUEST_HASH_VERSION } from '#batch-store';
import { requestHash } from '../../../apps/api/src/comparison/request-hash.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { auth, startApi } from './support/api-harness.js';

const BATCH = '/api/v1/comparison/batch';
const N = 10_000;
/** 60 essays of ~1 KB (one with escapes and non-ASCII), each named by hundreds of comparisons. */
const ESSAYS = Array.from(
  { length: 60 },
  (_, i) =>
    `Essay ${i}: ${i === 7 ? 'é 😀 "quoted" \\ back\nslash ' : ''}${'argument and evidence '.repeat(45)}${i}`,
);

function inlineBody(tag: string, change?: (item: Record<string, unknown>, index: number) => void) {
  return {
    correlation_id: `ingest-${tag}`,
    comparisons: Array.from({ length: N }, (_, i) => {
      const item: Record<string, unknown> = {
        comparison_id: `${tag}-${i}`,
        user_prompt: 'Which essay argues better?',
        essay_a: ESSAYS[i % 60],
        essay_b: ESSAYS[(i * 7 + 1) % 60],
        ...(i % 3 === 0 ? {} : { metadata: { pair_index: i, note: i % 5 === 0 ? null : `n${i}` } }),
      };
      change?.(item, i);
      return item;
    }),
  };
}

/** The inline batch path end to end on the real store: what is accepted is stored exactly, what is refused is not stored. */
describe('inline batch ingest (10,000 comparisons)', () => {
  let api: NestExpressApplication;
  const prefix = `ingest-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);
  const post = (body: object) =>
    request(api.getHttpServer()).post(BATCH).set(auth).set('Content-Type', 'application/json').send(body);

  beforeAll(async () => {
    api = await startApi(prefix, {
      MAX_COMPARISONS_PER_BATCH: String(N),
      TENANT_MAX_COMPARISONS_IN_FLIGHT: String(N * 10),
      API_BODY_LIMIT: '50mb',
    });
  });

  afterAll(async () => {
    await api.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('stores each distinct essay once and gives back exactly the comparisons sent; repeats and conflicts as before', async () => {
    const body = inlineBody('a');
    const accepted = await post(body).expect(202);
    const id = accepted.body.batch_id as string;
    const repository = api.get(BatchRepository);
    expect(await redis.hlen(repository.keys.essays(id))).toBe(60);
    const stored = await repository.getRequests(id);
    expect(stored).toEqual(body.comparisons.map((item, index) => ({ ...item, index })));

    // The same body again (fields in another order): the same batch. Another text at the last index: 409.
    const reordered = { comparisons: body.comparisons, correlation_id: body.correlation_id };
    expect((await post(reordered).expect(202)).body.batch_id).toBe(id);
    const changed = inlineBody('a', (item, i) => {
      if (i === N - 1) item.essay_a = ESSAYS[8];
    });
    await post(changed).expect(409);
  }, 120_000);

  it('knows a repeat by its stored form: metadata keys in another order are the same request, and a batch hashed the old way (before an upgrade) still answers its repeats', async () => {
    const body = inlineBody('m');
    const id = (await post(body).expect(202)).body.batch_id as string;
    const repository = api.get(BatchRepository);
    const record = repository.keys.record(id);
    // Hashed over the stored form (essays once), not over the 12 MB body.
    expect((await redis.hget(record, 'request_hash'))!.startsWith(REQUEST_HASH_VERSION)).toBe(true);
    const reorderedMetadata = inlineBody('m', (item) => {
      const metadata = item.metadata as Record<string, unknown> | undefined;
      if (metadata) item.metadata = Object.fromEntries(Object.entries(metadata).reverse());
    });
    expect((await post(reorderedMetadata).expect(202)).body.batch_id).toBe(id);

    // As a version before stored it: the hash of the body as sent, in the hash field and the record's JSON.
    const legacy = requestHash({ kind: 'batch', body });
    const json = JSON.parse((await redis.hget(record, 'record'))!) as Record<string, unknown>;
    await redis.hset(
      record,
      'request_hash',
      legacy,
      'record',
      JSON.stringify({ ...json, request_hash: legacy }),
    );
    expect((await post(body).expect(202)).body.batch_id).toBe(id);
    await post(inlineBody('m', (item, i) => i === 0 && (item.essay_b = ESSAYS[3]))).expect(409);
  }, 120_000);

  it('refuses a bad item at index 9,999 naming it, and stores nothing', async () => {
    // Batch data, idempotency claims and the live index (request-rate counters and queue metadata are not batch data).
    const stored = async () => {
      const keys = await redis.keys(`${prefix}:*`);
      const live = await redis.zrange(api.get(BatchRepository).keys.active(), 0, -1);
      return { keys: keys.filter((k) => /:(batch|idem|outbox):/.test(k)).sort(), live: live.sort() };
    };
    const before = await stored();
    const res = await post(
      inlineBody('bad', (item, i) => {
        if (i === N - 1) item.essay_a = 'broken \u0000 text';
      }),
    ).expect(400);
    expect(res.body.error.field).toBe(`comparisons[${N - 1}].essay_a`);
    expect(await stored()).toEqual(before);
  }, 120_000);
});
