import { Module, type DynamicModule } from '@nestjs/common';
import { KafkaEventPublisher, MetricsModule, parseBrokers, PlatformModule } from '#infra';
import { AssessmentFinalizer } from './assessment/assessment-finalizer.service.js';
import { AssessmentIntake } from './assessment/assessment-intake.service.js';
import { AssessmentRepository, AssessmentSubmissionRepository } from '#assessment-store';
import { AssessmentStopper } from './assessment/assessment-stopper.service.js';
import { BatchStepRunner } from './assessment/batch-step-runner.service.js';
import { BatchSubmitter } from './assessment/batch-submitter.service.js';
import { CjMetrics } from './assessment/cj-metrics.js';
import { ResultCollector } from './assessment/result-collector.service.js';
import { CancelWatcher } from './cancel/cancel-watcher.service.js';
import { CJ_SETTINGS, CJ_TOPICS, STEP_HAND_OFF } from './cj.tokens.js';
import { ComparisonApiClient } from './comparison-api/comparison-api.client.js';
import type { CjEnv } from './config/cj-env.js';
import { cjSettings } from './config/cj-settings.js';
import { DeadlineWatcher } from './deadline/deadline-watcher.service.js';
import { AssessmentResumer } from './resume/assessment-resumer.service.js';
import { StepHandOff } from './resume/step-hand-off.js';
import { AssessmentEventPublisher } from './kafka/assessment-event-publisher.js';
import { AssessmentEventsController } from './kafka/assessment-events.controller.js';
import { cjTopics } from './kafka/cj-topics.js';

@Module({})
export class CjModule {
  static forRoot(env: CjEnv): DynamicModule {
    const topics = cjTopics(env);
    return {
      module: CjModule,
      imports: [PlatformModule.forRoot(env), MetricsModule.forRoot({ service: 'cj-integration' })],
      controllers: [AssessmentEventsController],
      providers: [
        { provide: CJ_TOPICS, useValue: topics },
        { provide: CJ_SETTINGS, useValue: cjSettings(env, topics.callback) },
        {
          provide: KafkaEventPublisher,
          useFactory: () =>
            new KafkaEventPublisher({
              brokers: parseBrokers(env.KAFKA_BROKERS),
              clientId: 'cj-integration-publisher',
            }),
        },
        {
          provide: ComparisonApiClient,
          useFactory: () =>
            new ComparisonApiClient({
              baseUrl: env.CJ_API_BASE_URL,
              apiKey: env.CJ_API_KEY,
              timeoutMs: env.CJ_API_TIMEOUT_MS,
              retryForMs: env.CJ_API_RETRY_FOR_MS,
              backoffMs: env.CJ_API_BACKOFF_MS,
              maxBackoffMs: env.CJ_API_BACKOFF_MAX_MS,
              maxBodyBytes: env.CJ_API_MAX_BODY_BYTES,
            }),
        },
        AssessmentRepository,
        AssessmentSubmissionRepository,
        AssessmentEventPublisher,
        AssessmentFinalizer,
        BatchSubmitter,
        BatchStepRunner,
        ResultCollector,
        CjMetrics,
        AssessmentIntake,
        AssessmentStopper,
        DeadlineWatcher,
        { provide: STEP_HAND_OFF, useValue: new StepHandOff('detached') },
        AssessmentResumer,
        CancelWatcher,
      ],
    };
  }
}
