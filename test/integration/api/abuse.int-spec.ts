import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Redis } from 'ioredis';
import { percentile, runAbuseLoad } from '../../support/abuse-load.js';
import { REDIS_URL } from '../worker/support/store-harness.js';
import { startApi } from './support/api-harness.js';

const ABUSER = 'abuser-key-0123456789abcdef';
const NORMAL = 'normal-key-0123456789abcdef';

/**
 * The small, asserting version of `npm run bench -- abuse` (which measures the 20 × 20 MB + 200 case and prints the
 * latency figures): oversized authenticated bodies, unauthenticated bodies and normal traffic at once.
 */
describe('hostile load: every bad request gets its 4xx, nothing is stored, the api keeps answering', () => {
  let api: NestExpressApplication;
  const prefix = `abuse-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);

  beforeAll(async () => {
    // A 4 MB body of minimal items holds ~60,000 comparisons: below the default cap (100,000), so the cap is set
    // to the old 10,000 here to make these bodies over-cap (the bench's 20 MB bodies exceed the default).
    api = await startApi(prefix, {
      API_KEYS: `abuser:${ABUSER},normal:${NORMAL}`,
      MAX_COMPARISONS_PER_BATCH: '10000',
    });
    await api.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await api.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('refuses 4 concurrent 4 MB over-cap bodies (400) and 40 unauthenticated ones (401) while serving others', async () => {
    const result = await runAbuseLoad({
      baseUrl: `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`,
      abuserKey: ABUSER,
      normalKey: NORMAL,
      authenticated: { count: 4, bytes: 4_000_000 },
      unauthenticated: { count: 40, bytes: 64_000 },
      probeIntervalMs: 20,
      normalIntervalMs: 50,
    });

    expect(result.authenticated.map((r) => r.status)).toEqual(Array(4).fill(400));
    expect(result.unauthenticated.map((r) => r.status)).toEqual(Array(40).fill(401));
    expect(result.health.length).toBeGreaterThan(0);
    expect(result.health.every((h) => h.status === 200)).toBe(true);
    expect(result.normal.length).toBeGreaterThan(0);
    expect(result.normal.every((r) => r.status === 202)).toBe(true);

    // Only the normal traffic's batches exist.
    const records = (await redis.keys(`${prefix}:batch:{*}`)).filter((k) => k.endsWith('}'));
    expect(records).toHaveLength(result.normal.length);
    process.stderr.write(
      `abuse (small): /health/live p99 ${percentile(
        result.health.map((h) => h.ms),
        99,
      ).toFixed(0)} ms over ${result.health.length} probes\n`,
    );
  }, 120_000);
});
