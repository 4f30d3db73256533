/** Kafka topic names: versioned, dotted, under a configurable platform prefix (shared/reference/contracts.md). */
export const DEFAULT_TOPIC_PREFIX = 'huleedu';

export interface TopicNames {
  /** Default callback topic for per-comparison results and the batch lifecycle events. */
  comparisonResult: string;
  /**
   * cj-integration's private result topic: only the tenant configured for it may name it as callback_topic, so no
   * other caller can publish into a live assessment through the comparison service.
   */
  cjComparisonResult: string;
  assessmentRequested: string;
  assessmentCompleted: string;
  assessmentFailed: string;
}

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  return {
    comparisonResult: `${prefix}.llm_provider.comparison_result.v1`,
    cjComparisonResult: `${prefix}.cj_integration.comparison_result.v1`,
    assessmentRequested: `${prefix}.els.cj_assessment.requested.v1`,
    assessmentCompleted: `${prefix}.cj_assessment.completed.v1`,
    assessmentFailed: `${prefix}.cj_assessment.failed.v1`,
  };
}

export function allTopics(prefix: string = DEFAULT_TOPIC_PREFIX): string[] {
  return Object.values(topicNames(prefix));
}

/** Kafka topic names: [a-zA-Z0-9._-], at most 249 characters. */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Topics no caller may name as callback_topic, whatever the configuration: the assessment topics
 * (`<prefix>.els.*`, `<prefix>.cj_assessment.*`) and Kafka's own (`__*`), plus the names Kafka refuses (`.`, `..`).
 */
export function isInternalTopic(topic: string, prefix: string = DEFAULT_TOPIC_PREFIX): boolean {
  return (
    topic === '.' ||
    topic === '..' ||
    topic.startsWith('__') ||
    topic.startsWith(`${prefix}.els.`) ||
    topic.startsWith(`${prefix}.cj_assessment.`)
  );
}
