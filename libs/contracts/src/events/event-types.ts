export const EVENT_TYPES = {
  comparisonResult: 'LLMComparisonResultV1',
  batchRequestStarted: 'LLMBatchRequestStartedV1',
  batchCompleted: 'LLMBatchCompletedV1',
  assessmentRequested: 'CJAssessmentRequestedV1',
  assessmentCompleted: 'CJAssessmentCompletedV1',
  assessmentFailed: 'CJAssessmentFailedV1',
  /** Used by the infrastructure round-trip check (demo and tests). */
  ping: 'PlatformPingV1',
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];
