export const EVENT_TYPES = {
  comparisonResult: 'LLMComparisonResultV1',
  batchRequestStarted: 'LLMBatchRequestStartedV1',
  batchCompleted: 'LLMBatchCompletedV1',
  assessmentRequested: 'CJAssessmentRequestedV1',
  assessmentCompleted: 'CJAssessmentCompletedV1',
  /** A slice of a ranking too large for one record, sent before its CJAssessmentCompletedV1 (same topic, same key). */
  assessmentRankingsPart: 'CJAssessmentRankingsPartV1',
  assessmentFailed: 'CJAssessmentFailedV1',
  /** Used by the infrastructure round-trip check (demo and tests). */
  ping: 'PlatformPingV1',
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];
