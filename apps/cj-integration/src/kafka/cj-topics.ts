import { DEFAULT_TOPIC_PREFIX, topicNames } from '#contracts';

export interface CjTopics {
  /** Assessment requests this service consumes. */
  requested: string;
  /**
   * Where the comparison service publishes this service's per-comparison results and batch events: by default its
   * private topic, which the api lets only cj-integration's tenant name (TENANT_CALLBACK_TOPICS).
   */
  callback: string;
  completed: string;
  failed: string;
}

export function cjTopics(env: { KAFKA_TOPIC_PREFIX?: string; CJ_CALLBACK_TOPIC?: string }): CjTopics {
  const names = topicNames(env.KAFKA_TOPIC_PREFIX || DEFAULT_TOPIC_PREFIX);
  return {
    requested: names.assessmentRequested,
    callback: env.CJ_CALLBACK_TOPIC || names.cjComparisonResult,
    completed: names.assessmentCompleted,
    failed: names.assessmentFailed,
  };
}

/**
 * The topics the consumer subscribes to. Nest's @EventPattern takes its topic when the controller class is
 * defined, so they are read from the environment when this module is first loaded: main.ts validates the
 * environment before it imports the app module, and tests set the variables before importing it.
 */
export const SUBSCRIBED_TOPICS: CjTopics = cjTopics(process.env);
