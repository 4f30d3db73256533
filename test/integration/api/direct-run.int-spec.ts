import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { BatchKeys, BatchRepository, IndividualLane, ProviderPauseStore } from '#batch-store';
import { ProviderCallCounter, withHiddenQuality } from '#llm-providers';
import { OpenAIFakeServer } from '#llm-providers/testing';
import { waitFor } from '../worker/support/batch-factory.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';
import { API_KEY, auth, markedComparisons, startApi, TEST_TENANT } from './support/api-harness.js';

const SINGLE = '/api/v1/comparison';
const single = (i: number, priority = 5) => ({
  ...markedComparisons(i + 1)[i],
  comparison_id: `d-${i}`,
  priority,
});

/**
 * The API runs an individual request itself when its caller waits and nothing is queued ahead: no worker runs in
 * these tests unless one says so, so a 200 with the result can only come from the API's own run.
 */
describe('direct runs: the API runs a waiting individual request when nothing is queued (real Redis)', () => {
  let api: NestExpressApplication;
  let redis: Redis;
  let lane: IndividualLane;
  let repo: BatchRepository;
  let pauses: ProviderPauseStore;
  let worker: RunningWorker | undefined;
  const prefix = `direct-${randomUUID().slice(0, 8)}`;
  const keys = new BatchKeys(prefix);

  beforeAll(async () => {
    // A re-read only every 60 s: an answer within the caller's wait came from the run (or a notification).
    api = await startApi(prefix, { PREFER_WAIT_POLL_MS: '60000', DIRECT_RUN_LEASE_MS: '1000' });
    redis = new Redis(REDIS_URL);
    lane = api.get(IndividualLane);
    repo = api.get(BatchRepository);
    pauses = api.get(ProviderPauseStore);
  });

  afterAll(async () => {
    await api.close();
    if (worker) await worker.stop();
    const left = await redis.keys(`${prefix}:*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  });

  it('answers 200 with the result, stores it with its event, and leaves nothing in the lane', async () => {
    const responses = await Promise.all(
      [0, 1, 2].map((i) =>
        request(api.getHttpServer()).post(SINGLE).set(auth).set('Prefer', 'wait=10').send(single(i)),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(responses.map((r) => r.body.result.winner)).toEqual(['Essay A', 'Essay B', 'Essay A']);
    expect(await lane.depths()).toEqual({ queued: 0, leased: 0 });
    for (const res of responses) {
      const id = res.body.queue_id as string;
      expect((await repo.get(id))?.status).toBe('completed');
      expect((await repo.getResults(id, 0, 1))[0]?.comparison_id).toBe(res.body.comparison_id);
      // The result event waits in the outbox for a worker's publisher, marked pending.
      const events = (await redis.lrange(`${prefix}:outbox:{${id}}`, 0, -1)).map(
        (raw) => JSON.parse(raw) as { envelope: { event_type: string } },
      );
      expect(events.map((e) => e.envelope.event_type)).toEqual(['LLMComparisonResultV1']);
      expect(await redis.sismember(`${prefix}:outbox:pending`, id)).toBe(1);
    }
  });

  it('gives back the lease taken before the body was read when the body is refused', async () => {
    const res = await request(api.getHttpServer())
      .post(SINGLE)
      .set(auth)
      .set('Prefer', 'wait=5')
      .send({ ...single(9), essay_a: '' });
    expect(res.status).toBe(400);
    await waitFor('the lease given back', async () => {
      const depths = await lane.depths();
      return depths.leased === 0 && depths.queued === 0 ? depths : undefined;
    });
    // The slot came back too: the next waiting request still runs here.
    const ok = await request(api.getHttpServer())
      .post(SINGLE)
      .set(auth)
      .set('Prefer', 'wait=5')
      .send(single(10));
    expect(ok.status).toBe(200);
  });

  it('leaves a request to the workers when one is queued ahead; priority orders them', async () => {
    await lane.enqueue('queued-ahead', { priority: 0 });
    const res = await request(api.getHttpServer())
      .post(SINGLE)
      .set(auth)
      .set('Prefer', 'wait=1')
      .send(single(3, 10));
    expect(res.status).toBe(202);
    expect((await repo.get(res.body.queue_id as string))?.status).toBe('queued');
    const claimed = await lane.claimMany(10_000, 5);
    expect(claimed.map((j) => j.batchId)).toEqual([res.body.queue_id, 'queued-ahead']);
    for (const job of claimed) await lane.release(job.batchId);
  });

  it('hands a request whose provider is paused to the workers, queued as it was', async () => {
    await pauses.pause('mock', null, 60_000);
    try {
      const res = await request(api.getHttpServer())
        .post(SINGLE)
        .set(auth)
        .set('Prefer', 'wait=1')
        .send(single(4));
      expect(res.status).toBe(202);
      const id = res.body.queue_id as string;
      expect((await repo.get(id))?.status).toBe('queued');
      expect(await lane.depths()).toEqual({ queued: 1, leased: 0 });
      expect((await lane.claim(10_000))?.batchId).toBe(id);
      await lane.release(id);
    } finally {
      await redis.del(keys.pause('mock', null));
    }
  });

  /** Runs `use` on an API whose deployment provider is `fake` (the project's OpenAI fake); both stop after. */
  async function withOpenAIApi(
    fake: OpenAIFakeServer,
    providerEnv: Record<string, string>,
    use: (app: NestExpressApplication) => Promise<void>,
  ): Promise<void> {
    const url = await fake.start();
    const app = await startApi(
      prefix,
      { PREFER_WAIT_POLL_MS: '60000' },
      {
        LLM_DEFAULT_PROVIDER: 'openai',
        OPENAI_API_KEY: fake.apiKey,
        OPENAI_BASE_URL: `${url}/v1`,
        ...providerEnv,
      },
    );
    try {
      await use(app);
    } finally {
      await app.close();
      await fake.stop();
    }
  }

  /** The request answered `res` went to the workers: a 202, queued, no result stored, next in the lane. */
  async function expectHandedToWorkers(res: request.Response): Promise<void> {
    expect(res.status).toBe(202);
    const id = res.body.queue_id as string;
    expect((await repo.get(id))?.status).toBe('queued');
    expect(await repo.getResults(id, 0, 1)).toEqual([]);
    expect((await lane.claim(10_000))?.batchId).toBe(id);
    await lane.release(id);
  }

  it('hands a request the provider refuses with 429 to the workers, unpaused and without a stored result', async () => {
    // The project's OpenAI fake answers every call with OpenAI's rate-limit error (429, Retry-After).
    const limited = new OpenAIFakeServer();
    limited.failNext(429, 100, { 'retry-after': '1' });
    await withOpenAIApi(limited, { LLM_RETRY_ATTEMPTS: '1' }, async (refused) => {
      const res = await request(refused.getHttpServer())
        .post(SINGLE)
        .set(auth)
        .set('Prefer', 'wait=2')
        .send(single(8));
      // Queued for a worker (which pauses the model with its own policy when the 429 comes again).
      await expectHandedToWorkers(res);
      expect(await redis.keys(`${keys.pause('openai', null)}*`)).toEqual([]);
    });
  });

  it('prepares the provider call while the request is stored, and sends nothing when the provider turns out paused', async () => {
    // The OpenAI provider's requests wait for the acceptance's verdict (a send gate): with the provider paused the
    // prepared request never leaves, and the request goes to the workers as with any paused provider.
    const fake = new OpenAIFakeServer();
    const completions = () => fake.requestLog.filter((r) => r.path === '/v1/chat/completions');
    try {
      await withOpenAIApi(fake, {}, async (gated) => {
        const ran = await request(gated.getHttpServer())
          .post(SINGLE)
          .set(auth)
          .set('Prefer', 'wait=5')
          .send(single(11));
        expect(ran.status).toBe(200);
        expect(ran.body.status).toBe('completed');
        expect(completions()).toHaveLength(1);

        await pauses.pause('openai', null, 60_000);
        const paused = await request(gated.getHttpServer())
          .post(SINGLE)
          .set(auth)
          .set('Prefer', 'wait=1')
          .send(single(12));
        await expectHandedToWorkers(paused);
        // Only the first request reached the provider.
        expect(completions()).toHaveLength(1);
        expect(gated.get(ProviderCallCounter).count('openai')).toBe(1);
      });
    } finally {
      await redis.del(keys.pause('openai', null));
    }
  });

  it('renews the lease of a long run and answers when it ends', async () => {
    // An OpenAI-compatible endpoint that answers after 2.5 s, under a 1 s lease: without renewal the lease would
    // run out twice and a worker could run the request a second time.
    const answer = JSON.stringify({
      id: 'chatcmpl-slow',
      object: 'chat.completion',
      model: 'gpt-5-mini-2025-08-07',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: {
            role: 'assistant',
            content: JSON.stringify({ winner: 'Essay A', justification: 'Clearer.', confidence: 4 }),
          },
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    });
    const stub = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(answer);
        }, 2_500),
      );
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const port = (stub.address() as AddressInfo).port;
    const slow = await startApi(
      prefix,
      { PREFER_WAIT_POLL_MS: '60000', DIRECT_RUN_LEASE_MS: '1000' },
      {
        LLM_DEFAULT_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-int-test-stub',
        OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      },
    );
    try {
      const pending = request(slow.getHttpServer())
        .post(SINGLE)
        .set(auth)
        .set('Prefer', 'wait=10')
        .send(single(5))
        // supertest sends on then(): start it now.
        .then((r) => r);
      const leasedId = await waitFor(
        'the request leased',
        async () => (await redis.zrange(lane.keys.leased(), 0, 0))[0],
      );
      const first = Number(await redis.zscore(lane.keys.leased(), leasedId));
      const renewed = await waitFor('the lease renewed', async () => {
        const score = Number(await redis.zscore(lane.keys.leased(), leasedId));
        return score > first ? score : undefined;
      });
      expect(renewed).toBeGreaterThan(first);
      expect(await lane.reapExpired()).toEqual([]);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.body.queue_id).toBe(leasedId);
      expect(await lane.depths()).toEqual({ queued: 0, leased: 0 });
    } finally {
      await slow.close();
      stub.close();
    }
  });

  it('is run by a worker when the API that leased it stops holding it (its lease runs out)', async () => {
    // The API's process dies mid-run: modelled by a request created and leased, then never renewed.
    const res = await request(api.getHttpServer())
      .post(SINGLE)
      .set(auth)
      .set('Prefer', 'wait=1')
      .send(single(6));
    expect(res.status).toBe(200);
    // That one finished; now one that lost its runner: stored queued, leased with a short lease nobody renews.
    const orphan = randomUUID();
    const created = await repo.create(
      {
        batch_id: orphan,
        tenant_id: 'int-tests',
        kind: 'single',
        mode: 'individual',
        correlation_id: orphan,
        assessment_id: null,
        callback_topic: 'huleedu.llm_provider.comparison_result.v1',
        priority: 5,
        config: (await repo.get(res.body.queue_id as string))!.config,
        comparison_count: 1,
        request_hash: 'orphan',
        idempotency_key: null,
        created_at: new Date().toISOString(),
      },
      [
        {
          comparison_id: 'orphan-0',
          user_prompt: 'Which essay is better argued?',
          essay_a: 'Essay A. [[quality:0.9]]',
          essay_b: 'Essay B. [[quality:0.1]]',
        },
      ],
    );
    expect(created.created).toBe(true);
    expect(await lane.enqueueOrLease(orphan, { priority: 5 }, 200)).toBe('leased');
    worker = await startWorker(
      { REDIS_KEY_PREFIX: prefix, JOB_LOCK_DURATION_MS: '1000' },
      { MOCK_LATENCY_MS: '0' },
    );
    const done = await waitFor(
      'the orphan run by the worker',
      async () => {
        const record = await repo.get(orphan);
        return record?.status === 'completed' ? record : undefined;
      },
      20_000,
    );
    expect(done.counts).toMatchObject({ succeeded: 1, pending: 0 });
    expect((await repo.getResults(orphan, 0, 1))[0]?.comparison_id).toBe('orphan-0');
    await clearPrefix(worker);
  });
});

// With the Mock, and with the OpenAI provider on the project's OpenAI fake (the official SDK, whose calls a direct run
// prepares while the request is being stored and sends once it is: the send gate).
describe.each(['mock', 'openai'] as const)(
  'direct runs at size (%s): two API replicas, a worker, two tenants, 200 requests with essays of realistic length',
  (provider) => {
    const REQUESTS = 200;
    const IN_FLIGHT = 40;
    const keys = { alpha: API_KEY, beta: 'direct-beta-key-0123456789' };
    const prefix = `direct-size-${randomUUID().slice(0, 8)}`;
    const apis: NestExpressApplication[] = [];
    let worker: RunningWorker;
    const fake = new OpenAIFakeServer();
    // ~3,000 characters per essay, as students write them.
    const essay = (i: number, side: string, quality: number) =>
      withHiddenQuality(
        `Essay ${i}${side}: `.concat('The argument weighs evidence against counterpoints. '.repeat(58)),
        quality,
      );

    beforeAll(async () => {
      const env = {
        API_KEYS: `${TEST_TENANT}:${keys.alpha},beta:${keys.beta}`,
        PREFER_WAIT_POLL_MS: '1000',
        // The tenants send as fast as they are answered: the request-rate limit is not under test here.
        TENANT_REQUESTS_PER_SECOND: '100000',
        // Few slots per replica, so that under 40 requests in flight many go to the worker through the lane.
        DIRECT_RUN_CONCURRENCY: '4',
      };
      const providerEnv: Record<string, string> =
        provider === 'openai'
          ? {
              LLM_DEFAULT_PROVIDER: 'openai',
              OPENAI_API_KEY: fake.apiKey,
              OPENAI_BASE_URL: `${await fake.start()}/v1`,
            }
          : {};
      apis.push(await startApi(prefix, env, providerEnv), await startApi(prefix, env, providerEnv));
      worker = await startWorker({ REDIS_KEY_PREFIX: prefix }, { MOCK_LATENCY_MS: '0', ...providerEnv });
    });

    afterAll(async () => {
      for (const api of apis) await api.close();
      await worker.stop();
      await clearPrefix(worker);
      await fake.stop();
    });

    it('answers every request once with its own result, each judged once at the provider, tenants kept apart', async () => {
      const answers: Array<{ tenant: 'alpha' | 'beta'; id: string; comparison: string; winner: string }> = [];
      let next = 0;
      const send = async (): Promise<void> => {
        for (let i = next++; i < REQUESTS; i = next++) {
          const tenant = i % 2 === 0 ? 'alpha' : 'beta';
          const aWins = i % 3 !== 0;
          const res = await request(apis[i % apis.length].getHttpServer())
            .post(SINGLE)
            .set('Authorization', `Bearer ${keys[tenant]}`)
            .set('Prefer', 'wait=30')
            .send({
              comparison_id: `size-${i}`,
              user_prompt: 'Which essay argues its case better?',
              essay_a: essay(i, 'A', aWins ? 0.9 : 0.1),
              essay_b: essay(i, 'B', aWins ? 0.1 : 0.9),
              priority: i % 11,
            });
          expect(res.status).toBe(200);
          answers.push({
            tenant,
            id: res.body.queue_id as string,
            comparison: res.body.result.comparison_id as string,
            winner: res.body.result.winner as string,
          });
          expect(res.body.result.winner).toBe(aWins ? 'Essay A' : 'Essay B');
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, send));

      expect(answers).toHaveLength(REQUESTS);
      expect(new Set(answers.map((a) => a.id)).size).toBe(REQUESTS);
      expect(new Set(answers.map((a) => a.comparison)).size).toBe(REQUESTS);
      // One provider call per request across the three processes: none ran twice, none was lost.
      const direct = apis.map((api) => api.get(ProviderCallCounter).count(provider, 'comparison'));
      const byWorker = worker.app.get(ProviderCallCounter).count(provider, 'comparison');
      expect(direct[0] + direct[1] + byWorker).toBe(REQUESTS);
      // Counted where they arrive, too: every request reached the provider exactly once.
      if (provider === 'openai') expect(fake.completionBodies()).toHaveLength(REQUESTS);
      expect(Math.min(...direct)).toBeGreaterThan(0);
      expect(byWorker).toBeGreaterThan(0);
      // A worker's lease ends just after the write that answered: the lane empties.
      await waitFor('the lane empty', async () => {
        const depths = await worker.queues.lane.depths();
        return depths.queued === 0 && depths.leased === 0 ? depths : undefined;
      });
      // Each tenant reads its own requests, never the other's.
      const alpha = answers.find((a) => a.tenant === 'alpha')!;
      const beta = answers.find((a) => a.tenant === 'beta')!;
      const server = apis[0].getHttpServer();
      await request(server)
        .get(`${SINGLE}/${alpha.id}`)
        .set('Authorization', `Bearer ${keys.alpha}`)
        .expect(200);
      await request(server)
        .get(`${SINGLE}/${alpha.id}`)
        .set('Authorization', `Bearer ${keys.beta}`)
        .expect(404);
      await request(server)
        .get(`${SINGLE}/${beta.id}`)
        .set('Authorization', `Bearer ${keys.alpha}`)
        .expect(404);
    }, 120_000);
  },
);
