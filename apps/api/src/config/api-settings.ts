import { topicNames } from '#contracts';
import { parseTenantKeys, type TenantKey } from '../auth/api-principal.js';
import { parseTenantCallbackTopics, type TenantCallbackTopics } from '../topics/tenant-callback-topics.js';
import { parseTenantRateLimits, type RateLimitSettings } from '../rate-limit/tenant-limits.js';
import type { RequestLimits } from '../validation/request-limits.js';
import type { WebhookSecrets } from '../webhooks/webhook-verifier.js';
import type { ApiEnv } from './api-env.js';

export const API_SETTINGS = Symbol('API_SETTINGS');

/** What the API's services need from its environment, parsed once. */
export interface ApiSettings extends RequestLimits {
  /** Each key with its tenant and key id (API_KEYS). */
  apiKeys: TenantKey[];
  metricsPublic: boolean;
  maxComparisonsPerBatch: number;
  maxEssaysPerBatch: number;
  uploadPartMaxBytes: number;
  uploadTtlSeconds: number;
  maxEssayChars: number;
  maxPromptChars: number;
  preferWaitMaxSeconds: number;
  preferWaitPollMs: number;
  /** Individual requests this process runs itself at once (0: none). */
  directRunConcurrency: number;
  /** Lease (ms) on a request this process runs itself. */
  directRunLeaseMs: number;
  resultsPageMaxLimit: number;
  /** The platform result topic: every tenant's default and always allowed. */
  defaultCallbackTopic: string;
  /** Topic cj-integration consumes assessment requests from (POST /assessments publishes there). */
  assessmentRequestedTopic: string;
  assessmentMaxEventBytes: number;
  assessmentDefaultComparisonsPerEssay: number;
  /** How long an API submission is kept before cj-integration picks it up (then its retention applies). */
  assessmentRetentionSeconds: number;
  /** Further topics each tenant may name (TENANT_CALLBACK_TOPICS). */
  callbackTopics: TenantCallbackTopics;
  /** KAFKA_TOPIC_PREFIX, which marks the internal topics. */
  topicPrefix: string;
  /** Per-tenant requests per second and comparisons in flight. */
  rateLimits: RateLimitSettings;
  /** Secrets that verify provider webhooks (/webhooks/<provider>); none set: those routes answer 404. */
  webhooks: WebhookSecrets;
}

export function apiSettingsFrom(env: ApiEnv): ApiSettings {
  return {
    apiKeys: parseTenantKeys(env.API_KEYS),
    metricsPublic: env.METRICS_PUBLIC,
    maxComparisonsPerBatch: env.MAX_COMPARISONS_PER_BATCH,
    maxEssaysPerBatch: env.MAX_ESSAYS_PER_BATCH,
    uploadPartMaxBytes: env.UPLOAD_PART_MAX_BYTES,
    uploadTtlSeconds: env.UPLOAD_TTL_SECONDS,
    maxEssayChars: env.MAX_ESSAY_CHARS,
    maxPromptChars: env.MAX_PROMPT_CHARS,
    metadataMaxBytes: env.METADATA_MAX_BYTES,
    metadataMaxDepth: env.METADATA_MAX_DEPTH,
    preferWaitMaxSeconds: env.PREFER_WAIT_MAX_SECONDS,
    preferWaitPollMs: env.PREFER_WAIT_POLL_MS,
    directRunConcurrency: env.DIRECT_RUN_CONCURRENCY,
    directRunLeaseMs: env.DIRECT_RUN_LEASE_MS,
    resultsPageMaxLimit: env.RESULTS_PAGE_MAX_LIMIT,
    defaultCallbackTopic: topicNames(env.KAFKA_TOPIC_PREFIX).comparisonResult,
    assessmentRequestedTopic: topicNames(env.KAFKA_TOPIC_PREFIX).assessmentRequested,
    assessmentMaxEventBytes: env.ASSESSMENT_MAX_EVENT_BYTES,
    assessmentDefaultComparisonsPerEssay: env.ASSESSMENT_DEFAULT_COMPARISONS_PER_ESSAY,
    assessmentRetentionSeconds: env.RESULT_RETENTION_SECONDS,
    callbackTopics: parseTenantCallbackTopics(env.TENANT_CALLBACK_TOPICS, env.KAFKA_TOPIC_PREFIX),
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    rateLimits: {
      defaults: {
        requestsPerSecond: env.TENANT_REQUESTS_PER_SECOND,
        comparisonsInFlight: env.TENANT_MAX_COMPARISONS_IN_FLIGHT,
      },
      perTenant: parseTenantRateLimits(env.TENANT_RATE_LIMITS),
    },
    webhooks: {
      openai: env.OPENAI_WEBHOOK_SECRET,
      gemini: env.GEMINI_WEBHOOK_SECRET,
      url: env.WEBHOOK_URL_SECRET,
    },
  };
}

/** Paths of the versioned API; status URLs are built from these. */
export const API_PREFIX = 'api/v1';
export const statusUrlOfComparison = (queueId: string) => `/${API_PREFIX}/comparison/${queueId}`;
export const statusUrlOfUpload = (uploadId: string) => `/${API_PREFIX}/comparison/batch/uploads/${uploadId}`;
export const statusUrlOfBatch = (batchId: string) => `/${API_PREFIX}/comparison/batch/${batchId}`;
export const statusUrlOfAssessment = (id: string) => `/${API_PREFIX}/assessments/${encodeURIComponent(id)}`;
