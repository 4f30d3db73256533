import {
  createEnvelope,
  EVENT_TYPES,
  stableEventId,
  type EventEnvelope,
  type LLMBatchCompletedV1,
  type LLMComparisonResultV1,
  type ProviderName,
  type Winner,
} from '#contracts';
import { AppMetrics, type KafkaEventPublisher } from '#infra';
import { AssessmentFinalizer } from '../src/assessment/assessment-finalizer.service.js';
import { AssessmentIntake } from '../src/assessment/assessment-intake.service.js';
import type { AssessmentRepository, AssessmentSubmissionRepository } from '#assessment-store';
import { AssessmentStopper } from '../src/assessment/assessment-stopper.service.js';
import { CancelWatcher } from '../src/cancel/cancel-watcher.service.js';
import { BatchStepRunner } from '../src/assessment/batch-step-runner.service.js';
import { BatchSubmitter } from '../src/assessment/batch-submitter.service.js';
import { CjMetrics } from '../src/assessment/cj-metrics.js';
import { ResultCollector } from '../src/assessment/result-collector.service.js';
import type { ComparisonApiClient } from '../src/comparison-api/comparison-api.client.js';
import type { BatchSubmission } from '../src/comparison-api/comparison-api.types.js';
import type { CjSettings } from '../src/config/cj-settings.js';
import { DeadlineWatcher } from '../src/deadline/deadline-watcher.service.js';
import { AssessmentResumer } from '../src/resume/assessment-resumer.service.js';
import { StepHandOff } from '../src/resume/step-hand-off.js';
import { AssessmentEventPublisher } from '../src/kafka/assessment-event-publisher.js';
import { cjTopics } from '../src/kafka/cj-topics.js';
import { FakeComparisonApi, FakeKafkaPublisher } from './fakes.js';
import {
  InMemoryAssessmentRepository,
  InMemorySubmissionRepository,
} from './in-memory-assessment.repository.js';

export const TEST_SETTINGS: CjSettings = {
  requestDefaults: {
    comparisonsPerEssay: 4,
    temperature: 0,
    maxTokens: 512,
    maxEssays: 1000,
    maxComparisons: 2000,
    maxEssayChars: 5000,
    maxPromptChars: 2000,
  },
  failurePolicy: { batchRetries: 1, minSuccessRate: 1 },
  deadlineMs: 60_000,
  deadlineCheckIntervalMs: 1000,
  resumeIntervalMs: 1000,
  retentionSeconds: 3600,
  callbackTopic: 'unit.callback.v1',
  ridge: 0.01,
  maxEventBytes: 900_000,
};

/** The CJ services wired with in-memory fakes, as the Nest module wires them with Redis, HTTP and Kafka. */
export function cjTestGraph(overrides: Partial<CjSettings> = {}) {
  const settings = { ...TEST_SETTINGS, ...overrides };
  const repository = new InMemoryAssessmentRepository();
  const submissions = new InMemorySubmissionRepository();
  const api = new FakeComparisonApi();
  const kafka = new FakeKafkaPublisher();
  const topics = cjTopics({ KAFKA_TOPIC_PREFIX: 'unit', CJ_CALLBACK_TOPIC: settings.callbackTopic });
  const repo = repository as unknown as AssessmentRepository;
  const client = api as unknown as ComparisonApiClient;
  const events = new AssessmentEventPublisher(kafka as unknown as KafkaEventPublisher, topics, settings);
  const finalizer = new AssessmentFinalizer(repo, events, settings);
  const submitter = new BatchSubmitter(repo, client, settings);
  const steps = new BatchStepRunner(submitter, finalizer, repo, settings);
  const metrics = new CjMetrics(new AppMetrics('cj-unit', { defaultMetrics: false }));
  const collector = new ResultCollector(repo, finalizer, steps, settings, metrics);
  const intake = new AssessmentIntake(
    repo,
    submissions as unknown as AssessmentSubmissionRepository,
    submitter,
    steps,
    finalizer,
    events,
    settings,
  );
  const stopper = new AssessmentStopper(finalizer, collector, client);
  const deadline = new DeadlineWatcher(repo, finalizer, stopper, settings);
  const cancels = new CancelWatcher(repo, finalizer, stopper, settings);
  const resumer = new AssessmentResumer(
    repo,
    submitter,
    steps,
    collector,
    finalizer,
    StepHandOff.inline(),
    settings,
  );
  return {
    resumer,
    settings,
    repository,
    submissions,
    api,
    kafka,
    topics,
    intake,
    collector,
    deadline,
    cancels,
    metrics,
  };
}

export function requestEnvelope(data: unknown, eventId?: string): EventEnvelope {
  return createEnvelope({
    event_type: EVENT_TYPES.assessmentRequested,
    event_id: eventId,
    source_service: 'unit',
    correlation_id: 'corr-1',
    data,
  });
}

/** Essays whose id order is their quality order (e1 best) and a winner rule to match. */
export function essaysRequest(id: string, count: number, extra: Record<string, unknown> = {}) {
  return {
    assessment_id: id,
    essays: Array.from({ length: count }, (_, i) => ({ essay_id: `e${i + 1}`, text: `Essay text ${i + 1}` })),
    assignment: 'Argue for or against homework.',
    criteria: 'Clear position, reasons, examples.',
    llm_config: { provider_override: 'mock' },
    ...extra,
  };
}

/** The lower essay number wins, except that a fixed share of upsets keeps the data connected both ways. */
export function judge(item: BatchSubmission['comparisons'][number]): Winner {
  const a = Number(item.metadata.essay_a_id.slice(1));
  const b = Number(item.metadata.essay_b_id.slice(1));
  const upset = item.metadata.pair_index % 5 === 0;
  return a < b !== upset ? 'Essay A' : 'Essay B';
}

export interface ResultOptions {
  error?: boolean;
  provider?: ProviderName;
  model?: string;
}

export function resultEvent(
  submission: BatchSubmission & { batch_id: string },
  position: number,
  options: ResultOptions = {},
): { eventId: string; data: LLMComparisonResultV1 } {
  const item = submission.comparisons[position];
  const now = '2026-11-25T00:00:00.000Z';
  const data: LLMComparisonResultV1 = {
    request_id: item.comparison_id,
    correlation_id: submission.correlation_id,
    provider: options.provider ?? 'mock',
    model: options.model ?? 'mock-judge-1',
    response_time_ms: 1,
    token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    cost_estimate: 0.01,
    requested_at: now,
    completed_at: now,
    request_metadata: item.metadata,
    batch_id: submission.batch_id,
    comparison_id: item.comparison_id,
    ...(options.error
      ? {
          error_detail: {
            error_code: 'EXTERNAL_SERVICE_ERROR',
            message: 'item failed',
            correlation_id: submission.correlation_id,
            timestamp: now,
            service: 'unit',
            operation: 'batch',
          },
        }
      : { winner: judge(item), justification: 'unit', confidence: 3 }),
  };
  return { eventId: stableEventId(submission.batch_id, item.comparison_id), data };
}

export function batchCompleted(
  submission: BatchSubmission & { batch_id: string },
  status: string,
  succeeded: number,
  failed: number,
): LLMBatchCompletedV1 {
  return {
    batch_id: submission.batch_id,
    assessment_id: submission.comparisons[0].metadata.assessment_id,
    successful_comparisons: succeeded,
    failed_comparisons: failed,
    total_processing_time_ms: 1,
    correlation_id: submission.correlation_id,
    status,
    provider: 'mock',
    model: 'mock-judge-1',
    cost_usd: 0.01 * succeeded,
    individual_cost_usd: 0.02 * succeeded,
  };
}

/** Delivers every result of a submission (optionally some as errors), then its LLMBatchCompletedV1. */
export async function deliverBatch(
  graph: ReturnType<typeof cjTestGraph>,
  submission: BatchSubmission & { batch_id: string },
  options: { status?: string; errorsAt?: ReadonlySet<number> } = {},
): Promise<void> {
  const status = options.status ?? 'completed';
  let failed = 0;
  for (let i = 0; i < submission.comparisons.length; i++) {
    const error =
      status !== 'completed' ||
      (options.errorsAt?.has(submission.comparisons[i].metadata.pair_index) ?? false);
    if (error) failed++;
    const { eventId, data } = resultEvent(submission, i, { error });
    await graph.collector.onComparisonResult(eventId, data);
  }
  await graph.collector.onBatchCompleted(
    batchCompleted(submission, status, submission.comparisons.length - failed, failed),
  );
}
