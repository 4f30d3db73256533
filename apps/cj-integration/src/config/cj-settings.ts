import type { FailurePolicy } from '../assessment/next-step.js';
import type { RequestDefaults } from '../assessment/validate-assessment-request.js';
import type { CjEnv } from './cj-env.js';

/** The settings the assessment services read, derived once from the validated environment. */
export interface CjSettings {
  requestDefaults: RequestDefaults;
  failurePolicy: FailurePolicy;
  deadlineMs: number;
  deadlineCheckIntervalMs: number;
  /** How often unfinished assessments are checked for a step a crash interrupted. */
  resumeIntervalMs: number;
  retentionSeconds: number;
  callbackTopic: string;
  /** Ridge alpha of the Bradley-Terry fit. */
  ridge: number;
  /** Largest outcome event sent as one record; a larger ranking goes out in parts. */
  maxEventBytes: number;
}

export function cjSettings(env: CjEnv, callbackTopic: string): CjSettings {
  return {
    requestDefaults: {
      comparisonsPerEssay: env.CJ_DEFAULT_COMPARISONS_PER_ESSAY,
      temperature: env.CJ_DEFAULT_TEMPERATURE,
      maxTokens: env.CJ_DEFAULT_MAX_TOKENS,
      maxEssays: env.CJ_MAX_ESSAYS,
      maxComparisons: env.CJ_MAX_COMPARISONS,
      maxEssayChars: env.CJ_MAX_ESSAY_CHARS,
      maxPromptChars: env.CJ_MAX_PROMPT_CHARS,
      allowUnlistedModels: env.CJ_ALLOW_UNLISTED_MODELS,
    },
    failurePolicy: { batchRetries: env.CJ_BATCH_RETRIES, minSuccessRate: env.CJ_MIN_SUCCESS_RATE },
    deadlineMs: env.CJ_ASSESSMENT_DEADLINE_MS,
    deadlineCheckIntervalMs: env.CJ_DEADLINE_CHECK_INTERVAL_MS,
    resumeIntervalMs: env.CJ_RESUME_INTERVAL_MS,
    retentionSeconds: env.CJ_STATE_RETENTION_SECONDS,
    callbackTopic,
    ridge: env.CJ_BT_RIDGE,
    maxEventBytes: env.CJ_MAX_EVENT_BYTES,
  };
}
