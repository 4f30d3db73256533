import 'reflect-metadata';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import {
  BatchQueues,
  BatchRepository,
  BatchWakeups,
  CompletionWatchers,
  IndividualLane,
  ProviderPauseStore,
  UploadRepository,
} from '#batch-store';
import { correlationMiddleware } from '#infra';
import { loadProvidersConfig, type ProvidersConfig } from '#llm-providers';
import { ApiCoreModule } from '../api-core.module.js';
import { AssessmentController } from '../assessment/assessment.controller.js';
import { AssessmentQueryService } from '../assessment/assessment-query.service.js';
import { AssessmentSubmissionService } from '../assessment/assessment-submission.service.js';
import { AssessmentUploadController } from '../assessment/assessment-upload.controller.js';
import { AssessmentUploadService } from '../assessment/assessment-upload.service.js';
import { ComparisonModule } from '../comparison/comparison.module.js';
import { parseTenantKeys } from '../auth/api-principal.js';
import { configureApiApp } from '../bootstrap/configure-api-app.js';
import type { ApiSettings } from '../config/api-settings.js';
import { StaticTopicDirectory, TOPIC_DIRECTORY } from '../topics/topic-directory.js';
import { InMemoryBatchStore, InMemoryWakeups, RecordingQueues } from './in-memory-batch-store.js';

/** [0] and [2] belong to tenant `alpha`; [1] is its own tenant. */
export const TEST_API_KEYS = [
  'test-key-0123456789abcdef',
  'second-key-0123456789abcdef',
  'teammate-key-0123456789abcdef',
];

/** Webhook secrets of the test app (OpenAI's is a whsec_ base64 secret, as the dashboard issues them). */
export const TEST_WEBHOOK_SECRETS = {
  openai: `whsec_${Buffer.from('openai-test-webhook-secret-0123456789').toString('base64')}`,
  gemini: 'gemini-test-webhook-secret-0123456789',
  url: 'url-test-webhook-secret-0123456789-abcdef',
};

export const TEST_SETTINGS: ApiSettings = {
  apiKeys: parseTenantKeys(`alpha:${TEST_API_KEYS[0]},${TEST_API_KEYS[1]},alpha:${TEST_API_KEYS[2]}`),
  metricsPublic: false,
  maxComparisonsPerBatch: 3,
  maxEssaysPerBatch: 4,
  uploadPartMaxBytes: 2_000,
  uploadTtlSeconds: 600,
  maxEssayChars: 100,
  maxPromptChars: 50,
  metadataMaxBytes: 512,
  metadataMaxDepth: 4,
  preferWaitMaxSeconds: 2,
  preferWaitPollMs: 10,
  // The in-memory queues never lease: every individual request waits for the (simulated) worker.
  directRunConcurrency: 0,
  directRunLeaseMs: 30_000,
  resultsPageMaxLimit: 50,
  defaultCallbackTopic: 'huleedu.llm_provider.comparison_result.v1',
  assessmentRequestedTopic: 'huleedu.els.cj_assessment.requested.v1',
  assessmentMaxEventBytes: 1_000_000,
  assessmentDefaultComparisonsPerEssay: 10,
  assessmentRetentionSeconds: 3600,
  callbackTopics: new Map([['alpha', new Set(['alpha.results.v1', 'alpha.missing.v1'])]]),
  topicPrefix: 'huleedu',
  rateLimits: { defaults: { requestsPerSecond: 1000, comparisonsInFlight: 1000 }, perTenant: new Map() },
  webhooks: {
    openai: TEST_WEBHOOK_SECRETS.openai,
    gemini: TEST_WEBHOOK_SECRETS.gemini,
    url: TEST_WEBHOOK_SECRETS.url,
  },
};

/** Topics the fake broker has (`alpha.missing.v1` is allowed for alpha but does not exist). */
export const EXISTING_TOPICS = [
  'huleedu.llm_provider.comparison_result.v1',
  'huleedu.cj_integration.comparison_result.v1',
  'huleedu.cj_assessment.completed.v1',
  'alpha.results.v1',
  'beta.results.v1',
];

export interface ApiTestApp {
  app: NestExpressApplication;
  store: InMemoryBatchStore;
  queues: RecordingQueues;
  wakeups: InMemoryWakeups;
  /** Bodies that reached AssessmentSubmissionService.submit (POST /assessments passed validation). */
  assessmentSubmissions: unknown[];
}

/**
 * POST /assessments through its real controller and validation pipe, with the submission service (Redis, Kafka)
 * replaced by a recorder: what a bad request must never reach.
 */
function assessmentRoutes(submissions: unknown[]): DynamicModule {
  return {
    module: class AssessmentRoutesTestModule {},
    imports: [ComparisonModule],
    controllers: [AssessmentUploadController, AssessmentController],
    providers: [
      {
        provide: AssessmentSubmissionService,
        useValue: {
          submit: async (_principal: unknown, body: { assessment_id?: string }) => {
            submissions.push(body);
            return {
              status: 202,
              body: { assessment_id: body.assessment_id ?? 'generated', status: 'queued' },
            };
          },
        },
      },
      { provide: AssessmentQueryService, useValue: {} },
      // Routes and header validation only; the upload itself runs against real Redis in the integration specs.
      {
        provide: AssessmentUploadService,
        useValue: {
          create: async (_principal: unknown, body: { assessment_id?: string }) => {
            submissions.push(body);
            return { upload_id: 'u', assessment_id: body.assessment_id ?? 'generated', status: 'open' };
          },
        },
      },
    ],
  };
}

@Global()
@Module({})
class FakeStorageModule {
  static with(store: InMemoryBatchStore, queues: RecordingQueues, wakeups: InMemoryWakeups): DynamicModule {
    return {
      module: FakeStorageModule,
      providers: [
        { provide: BatchRepository, useValue: store },
        { provide: BatchQueues, useValue: queues },
        { provide: CompletionWatchers, useValue: store.completions },
        { provide: BatchWakeups, useValue: wakeups },
        { provide: TOPIC_DIRECTORY, useValue: new StaticTopicDirectory(EXISTING_TOPICS) },
        // Multi-part uploads are exercised against real Redis (test/integration/api/batch-upload.int-spec.ts).
        { provide: UploadRepository, useValue: null },
        // The in-memory queues never lease a request to the API: its direct runs need real Redis (integration).
        { provide: IndividualLane, useValue: null },
        { provide: ProviderPauseStore, useValue: null },
      ],
      exports: [
        BatchRepository,
        BatchQueues,
        CompletionWatchers,
        BatchWakeups,
        TOPIC_DIRECTORY,
        UploadRepository,
        IndividualLane,
        ProviderPauseStore,
      ],
    };
  }
}

/** The API's real HTTP pipeline (guard, pipes, filter, services) over in-memory storage and the Mock provider. */
export async function createApiTestApp(
  options: { settings?: Partial<ApiSettings>; providers?: ProvidersConfig; bodyLimit?: string } = {},
): Promise<ApiTestApp> {
  const store = new InMemoryBatchStore();
  const queues = new RecordingQueues();
  const wakeups = new InMemoryWakeups(store);
  const assessmentSubmissions: unknown[] = [];
  const moduleRef = await Test.createTestingModule({
    imports: [
      FakeStorageModule.with(store, queues, wakeups),
      ApiCoreModule.forRoot({
        settings: { ...TEST_SETTINGS, ...options.settings },
        providers: options.providers ?? loadProvidersConfig({}),
        defaultMetrics: false,
      }),
      assessmentRoutes(assessmentSubmissions),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  app.use(correlationMiddleware);
  configureApiApp(app, { bodyLimit: options.bodyLimit ?? '16kb' });
  await app.init();
  return { app, store, queues, wakeups, assessmentSubmissions };
}

export const bearer = (key: string = TEST_API_KEYS[0]) => `Bearer ${key}`;

/** A valid batch body of `n` comparisons; `patch` edits it (tests then break one thing). */
export function batchBody(n = 2, assessmentId = 'asmt-1'): Record<string, unknown> {
  return {
    correlation_id: 'corr-1',
    comparisons: Array.from({ length: n }, (_, i) => ({
      comparison_id: `pair-${i}`,
      user_prompt: 'Which essay argues better?',
      essay_a: `Essay A number ${i}`,
      essay_b: `Essay B number ${i}`,
      metadata: { assessment_id: assessmentId, pair_index: i },
    })),
  };
}

/** The essay-referencing form: `essays` essays once, `n` comparisons of neighbours by id, one shared prompt. */
export function essayBatchBody(n = 2, essays = 3): Record<string, unknown> {
  return {
    correlation_id: 'corr-essays-1',
    user_prompt: 'Which essay argues better?',
    essays: Array.from({ length: essays }, (_, i) => ({ essay_id: `e-${i}`, text: `Essay number ${i}` })),
    comparisons: Array.from({ length: n }, (_, i) => ({
      comparison_id: `pair-${i}`,
      essay_a_id: `e-${i % essays}`,
      essay_b_id: `e-${(i + 1) % essays}`,
      metadata: { assessment_id: 'asmt-1', pair_index: i },
    })),
  };
}

export function singleBody(): Record<string, unknown> {
  return {
    user_prompt: 'Which essay argues better?',
    essay_a: 'First essay',
    essay_b: 'Second essay',
    priority: 8,
  };
}
