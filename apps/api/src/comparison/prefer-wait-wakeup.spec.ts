import { jest } from '@jest/globals';
import request from 'supertest';
import { bearer, createApiTestApp, singleBody, type ApiTestApp } from '../testing/api-test-app.js';
import { terminalPayload } from '../testing/in-memory-batch-store.js';
import { storedResult } from '../testing/result-factory.js';

const SINGLE = '/api/v1/comparison';

/**
 * A held request (Prefer: wait) is woken by the batch's terminal notification, not by its re-read timer; the
 * timer only rescues a request whose notification was lost.
 */
describe('Prefer: wait wake-up', () => {
  let t: ApiTestApp;
  const server = () => t.app.getHttpServer();
  /** A single comparison held with `Prefer: wait=<seconds>`. */
  const postWaiting = (seconds: number) =>
    request(server())
      .post(SINGLE)
      .set('Authorization', bearer())
      .set('Prefer', `wait=${seconds}`)
      .send(singleBody());

  afterEach(async () => {
    await t.app.close();
  });

  it('answers as soon as the notification arrives, long before the safety-net re-read would run', async () => {
    // Re-reads only every 60 s, and the caller waits at most 2 s: a 200 proves the notification woke it.
    t = await createApiTestApp({ settings: { preferWaitPollMs: 60_000, preferWaitMaxSeconds: 2 } });
    t.store.onCreated = (record, requests) => {
      setTimeout(() => t.store.finish(record.batch_id, [storedResult(0, requests[0].comparison_id)]), 30);
    };
    const res = await postWaiting(2).expect(200);
    expect(res.body).toMatchObject({ status: 'completed', result: { winner: 'Essay A' } });
    expect(t.store.completions.size).toBe(0);
  });

  it('answers from a notification that carries the finished batch, without reading the batch', async () => {
    t = await createApiTestApp({ settings: { preferWaitPollMs: 60_000, preferWaitMaxSeconds: 2 } });
    const reads = [jest.spyOn(t.store, 'get'), jest.spyOn(t.store, 'getResults')];
    t.store.onCreated = (record, requests) => {
      const result = storedResult(0, requests[0].comparison_id, { cost_estimate: 0.002 });
      setTimeout(
        () =>
          t.store.finish(record.batch_id, [result], 'completed', (finished) =>
            terminalPayload({ ...finished, cost_usd: 0.002, individual_cost_usd: 0.002 }, [result]),
          ),
        30,
      );
    };
    const res = await postWaiting(2).expect(200);
    expect(res.body).toMatchObject({
      status: 'completed',
      result: { winner: 'Essay A', cost_estimate: 0.002 },
    });
    for (const read of reads) expect(read).not.toHaveBeenCalled();
  });

  it('reads the batch when the notification carries something it cannot use', async () => {
    t = await createApiTestApp({ settings: { preferWaitPollMs: 60_000, preferWaitMaxSeconds: 2 } });
    const getResults = jest.spyOn(t.store, 'getResults');
    t.store.onCreated = (record, requests) => {
      setTimeout(
        () =>
          t.store.finish(
            record.batch_id,
            [storedResult(0, requests[0].comparison_id)],
            'completed',
            () => '{"x',
          ),
        30,
      );
    };
    const res = await postWaiting(2).expect(200);
    expect(res.body).toMatchObject({ status: 'completed', result: { winner: 'Essay A' } });
    expect(getResults).toHaveBeenCalled();
  });

  it('does not miss a batch that ended before the request started waiting', async () => {
    t = await createApiTestApp({ settings: { preferWaitPollMs: 60_000, preferWaitMaxSeconds: 2 } });
    // Finished (and notified) inside the store call, before the service reaches its wait.
    t.store.onCreated = (record, requests) =>
      t.store.finish(record.batch_id, [storedResult(0, requests[0].comparison_id)]);
    await postWaiting(2).expect(200);
  });

  it('still answers 200 when the notification is lost, by the re-read', async () => {
    t = await createApiTestApp({ settings: { preferWaitPollMs: 20, preferWaitMaxSeconds: 2 } });
    t.store.notifyOnFinish = false;
    t.store.onCreated = (record, requests) => {
      setTimeout(() => t.store.finish(record.batch_id, [storedResult(0, requests[0].comparison_id)]), 30);
    };
    const res = await postWaiting(2).expect(200);
    expect(res.body.result).toMatchObject({ winner: 'Essay A' });
  });

  it('answers 202 when the batch does not end in time, and stops watching it', async () => {
    t = await createApiTestApp({ settings: { preferWaitPollMs: 60_000, preferWaitMaxSeconds: 1 } });
    const res = await postWaiting(1).expect(202);
    expect(res.headers['preference-applied']).toBe('wait=1');
    expect(t.store.completions.size).toBe(0);
  });
});
