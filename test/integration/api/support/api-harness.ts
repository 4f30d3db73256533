import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { correlationMiddleware, JsonLogger, loadConfig } from '#infra';
import { loadProvidersConfig } from '#llm-providers';
import { ApiModule } from '../../../../apps/api/src/api.module.js';
import { configureApiApp } from '../../../../apps/api/src/bootstrap/configure-api-app.js';
import { ApiEnv } from '../../../../apps/api/src/config/api-env.js';
import { KAFKA_BROKERS, REDIS_URL } from '../../worker/support/store-harness.js';

export const API_KEY = 'integration-key-0123456789';
/** The tenant of API_KEY, and the extra callback topic it may name (a test creates it before naming it). */
export const TEST_TENANT = 'int-tests';
export const TEST_CALLBACK_TOPIC = 'api-int.results.v1';
export const auth = { Authorization: `Bearer ${API_KEY}` };

/** Provider settings shared by the API and the worker of a test (the API snapshots config from them). */
export const TEST_PROVIDER_ENV = {
  LLM_DEFAULT_PROVIDER: 'mock',
  MOCK_LATENCY_MS: '200',
  LLM_RETRY_BASE_DELAY_MS: '10',
  LLM_RETRY_MAX_DELAY_MS: '50',
};

/** The real ApiModule (Redis, batch store, BullMQ producers) in this process, on the given key prefix. */
export async function startApi(
  keyPrefix: string,
  env: Record<string, string> = {},
  providerEnv: Record<string, string> = {},
): Promise<NestExpressApplication> {
  const apiEnv = loadConfig(ApiEnv, {
    REDIS_URL,
    KAFKA_BROKERS,
    API_KEYS: `${TEST_TENANT}:${API_KEY}`,
    TENANT_CALLBACK_TOPICS: JSON.stringify({ [TEST_TENANT]: [TEST_CALLBACK_TOPIC] }),
    REDIS_KEY_PREFIX: keyPrefix,
    PREFER_WAIT_MAX_SECONDS: '30',
    PREFER_WAIT_POLL_MS: '25',
    ...env,
  });
  const providers = loadProvidersConfig({ ...TEST_PROVIDER_ENV, ...providerEnv });
  const moduleRef = await Test.createTestingModule({
    imports: [ApiModule.forRoot(apiEnv, { providers, defaultMetrics: false })],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: new JsonLogger('api-test', 'error'),
  });
  app.use(correlationMiddleware);
  configureApiApp(app, { bodyLimit: apiEnv.API_BODY_LIMIT });
  await app.init();
  return app;
}

/** Comparisons whose Mock verdict is known: essay A carries the higher hidden quality when `i` is even. */
export function markedComparisons(n: number, assessmentId = 'asmt-int'): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => {
    const high = 0.9;
    const low = 0.1;
    return {
      comparison_id: `cmp-${String(i).padStart(4, '0')}`,
      user_prompt: 'Which essay is better argued?',
      essay_a: `Essay A of pair ${i}. [[quality:${i % 2 === 0 ? high : low}]]`,
      essay_b: `Essay B of pair ${i}. [[quality:${i % 2 === 0 ? low : high}]]`,
      metadata: { assessment_id: assessmentId, pair_index: i },
    };
  });
}
