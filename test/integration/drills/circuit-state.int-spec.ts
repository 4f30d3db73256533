import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { CircuitStateStore } from '#batch-store';
import { CircuitBreakerRegistry, ProviderError } from '#llm-providers';
import { auth, markedComparisons, startApi } from '../api/support/api-harness.js';
import { waitFor } from '../worker/support/batch-factory.js';
import { storeHarness } from '../worker/support/store-harness.js';
import { clearPrefix, startWorker, type RunningWorker } from '../worker/support/worker-harness.js';

const BATCH = '/api/v1/comparison/batch';

// Only the worker calls providers, so only its breakers see a provider fail; the API must still refuse work
// for that provider. The worker shares its circuit states through Redis (CircuitStateStore), the API reads them.
describe('circuit state shared from the worker to the API', () => {
  describe('API side: states as the worker writes them', () => {
    const store = storeHarness();
    const circuits = new CircuitStateStore(store.redis, store.options);
    let api: NestExpressApplication;
    const server = () => api.getHttpServer();
    const body = (id: string) => ({ comparisons: markedComparisons(2), correlation_id: id });
    /**
     * Keys a request would leave behind (batch records, idempotency keys, jobs); not queue meta, circuits or the
     * tenant's per-second request counter (`:rate:`, counted before the body is read and gone within a second).
     */
    const storedKeys = async () =>
      (await store.redis.keys(`${store.options.keyPrefix}:*`)).filter(
        (k) => !k.includes(':circuit:') && !k.includes(':rate:') && !k.endsWith(':meta'),
      );

    beforeAll(async () => {
      api = await startApi(store.options.keyPrefix!);
    });
    afterAll(async () => {
      await api.close();
      await store.cleanup();
    });

    it('answers 503 CIRCUIT_OPEN and stores nothing while the worker reports the circuit open', async () => {
      await circuits.write('mock', 'open', 60);
      const res = await request(server()).post(BATCH).set(auth).send(body('circuit-open-1')).expect(503);
      expect(res.body.error).toMatchObject({ code: 'CIRCUIT_OPEN', retryable: true });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(await storedKeys()).toEqual([]);

      const providers = await request(server()).get('/api/v1/providers').set(auth).expect(200);
      expect(providers.body.providers.find((p: { name: string }) => p.name === 'mock')).toMatchObject({
        configured: true,
        available: false,
        circuit_state: 'open',
      });
    });

    it('accepts again once the worker reports the circuit closed', async () => {
      await circuits.write('mock', 'open', 60);
      await request(server()).post(BATCH).set(auth).send(body('circuit-close-1')).expect(503);
      await circuits.write('mock', 'closed', 60);
      const res = await request(server()).post(BATCH).set(auth).send(body('circuit-close-1')).expect(202);
      expect(res.body.batch_id).toEqual(expect.any(String));
    });

    it("forgets a dead worker's open circuit when its entry expires", async () => {
      await circuits.write('mock', 'open', 1);
      await request(server()).post(BATCH).set(auth).send(body('circuit-ttl-1')).expect(503);
      await waitFor(
        'circuit entry expired',
        async () => ((await circuits.readAll()).mock === undefined ? true : undefined),
        5_000,
        100,
      );
      await request(server()).post(BATCH).set(auth).send(body('circuit-ttl-1')).expect(202);
    });
  });

  describe('worker side: breaker changes reach Redis', () => {
    let worker: RunningWorker;

    beforeAll(async () => {
      worker = await startWorker({ METRICS_SAMPLE_MS: '60000' }, { LLM_BREAKER_FAILURES_TO_OPEN: '2' });
    });
    afterAll(async () => {
      await worker.stop();
      await clearPrefix(worker);
    });

    it('writes the open state as soon as a breaker opens, without waiting for the metrics sample', async () => {
      const circuits = worker.app.get(CircuitStateStore);
      await waitFor('first sample', async () =>
        (await circuits.readAll()).mock === 'closed' ? true : undefined,
      );
      const breakers = worker.app.get(CircuitBreakerRegistry);
      for (let i = 0; i < 2; i += 1) {
        await breakers
          .fire('mock', () => Promise.reject(new ProviderError('TIMEOUT', 'slow')))
          .catch(() => undefined);
      }
      expect(breakers.state('mock')).toBe('open');
      await waitFor('open state shared', async () =>
        (await circuits.readAll()).mock === 'open' ? true : undefined,
      );
    });
  });
});
