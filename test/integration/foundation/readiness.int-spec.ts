import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HealthModule, RedisModule } from '#infra';
import { freePort, ThrowawayKafka, ThrowawayRedis } from '../../support/throwaway-services.js';
import { waitFor } from '../../support/wait-for.js';

// Stops and restarts real services, so it uses its own redis-server and Kafka broker on free ports.
describe('readiness probe against real Redis and Kafka', () => {
  let redis: ThrowawayRedis;
  let kafka: ThrowawayKafka;
  let app: INestApplication;

  const ready = async () => {
    const res = await request(app.getHttpServer()).get('/health/ready');
    return { status: res.status, body: res.body as { error?: Record<string, unknown> } };
  };

  beforeAll(async () => {
    redis = new ThrowawayRedis(await freePort());
    kafka = new ThrowawayKafka(await freePort());
    await Promise.all([redis.start(), kafka.start()]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        RedisModule.forRoot({ target: { url: redis.url, clusterNodes: [] } }),
        HealthModule.forRoot({ kafkaBrokers: [kafka.brokers], timeoutMs: 2000, cacheMs: 1000 }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.allSettled([redis?.stop(), kafka?.destroy()]);
  }, 60_000);

  it('is live and ready while both services answer', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200);
    const res = await waitFor(ready, (r) => r.status === 200, { timeoutMs: 10_000, what: 'ready 200' });
    expect(res.body).toMatchObject({
      status: 'ok',
      info: { redis: { status: 'up' }, kafka: { status: 'up' } },
    });
  });

  it('reports a stopped Kafka within 5 s with 503 naming kafka, stays live, and recovers after restart', async () => {
    await kafka.stop();
    const stoppedAt = Date.now();
    const down = await waitFor(ready, (r) => r.status === 503, { timeoutMs: 5_000, what: 'ready 503' });
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(5_000);
    expect(down.body.error).toHaveProperty('kafka');
    expect(down.body.error).not.toHaveProperty('redis');
    await request(app.getHttpServer()).get('/health/live').expect(200);

    await kafka.start();
    await waitFor(ready, (r) => r.status === 200, {
      timeoutMs: 15_000,
      what: 'ready 200 after Kafka restart',
    });
  }, 90_000);

  it('reports a stopped Redis with 503 naming redis, and recovers after restart', async () => {
    await redis.stop();
    const down = await waitFor(ready, (r) => r.status === 503, { timeoutMs: 5_000, what: 'ready 503' });
    expect(down.body.error).toHaveProperty('redis');
    await request(app.getHttpServer()).get('/health/live').expect(200);

    await redis.start();
    await waitFor(ready, (r) => r.status === 200, {
      timeoutMs: 15_000,
      what: 'ready 200 after Redis restart',
    });
  }, 60_000);
});
