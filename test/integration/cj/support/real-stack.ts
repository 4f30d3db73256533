import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { topicNames, type AssessmentStatusDto } from '#contracts';
import { waitFor } from '../../../support/wait-for.js';
import { startApi, TEST_PROVIDER_ENV } from '../../api/support/api-harness.js';
import { startWorker, type RunningWorker } from '../../worker/support/worker-harness.js';
import { API_KEY, type CjHarness } from './cj-harness.js';

/** The real comparison service (apps/api + apps/batch-worker + Mock provider) in this process, plus the CJ app. */
export async function startStack(
  harness: CjHarness,
  providerEnv: Record<string, string> = {},
  options: { extraApiKeys?: string[]; apiEnv?: Record<string, string>; cjEnv?: Record<string, string> } = {},
) {
  const keyPrefix = `${harness.prefix}-svc`;
  const env = { KAFKA_TOPIC_PREFIX: harness.prefix, REDIS_KEY_PREFIX: keyPrefix };
  // cj-integration is a tenant of the api like any other; only it may name its private result topic.
  const api = await startApi(
    keyPrefix,
    {
      ...env,
      API_KEYS: [`cj-integration:${API_KEY}`, ...(options.extraApiKeys ?? [])].join(','),
      TENANT_CALLBACK_TOPICS: JSON.stringify({
        'cj-integration': [topicNames(harness.prefix).cjComparisonResult],
      }),
      ...options.apiEnv,
    },
    providerEnv,
  );
  await api.listen(0, '127.0.0.1');
  const worker = await startWorker(env, { ...TEST_PROVIDER_ENV, ...providerEnv });
  const url = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
  await harness.start(options.cjEnv ?? {}, url);
  return { api, worker };
}

export async function stopStack(
  harness: CjHarness,
  stack?: { api: INestApplication; worker: RunningWorker },
) {
  await harness.stop();
  await stack?.worker.stop();
  await stack?.api.close();
}

/** Polls the assessment's REST status (as `auth`'s tenant) until it has ended; returns that status. */
export async function assessmentEnded(
  api: INestApplication,
  auth: Record<string, string>,
  assessmentId: string,
  timeoutMs: number,
): Promise<AssessmentStatusDto> {
  return waitFor(
    async () =>
      (await request(api.getHttpServer()).get(`/api/v1/assessments/${assessmentId}`).set(auth))
        .body as AssessmentStatusDto,
    (status) => ['completed', 'failed', 'cancelled'].includes(status.status),
    { timeoutMs, intervalMs: 250, what: `assessment ${assessmentId} to end` },
  );
}
