/** Which Kafka topics exist (the api never creates one: a callback topic must exist before it is named). */
export interface TopicDirectory {
  /** true/false from the broker's metadata (cached); throws TopicDirectoryUnavailableError when it cannot tell. */
  exists(topic: string): Promise<boolean>;
}

export const TOPIC_DIRECTORY = Symbol('TOPIC_DIRECTORY');

/** The broker could not be asked and nothing is known about the topic yet (retryable). */
export class TopicDirectoryUnavailableError extends Error {
  readonly code = 'EXTERNAL_SERVICE_ERROR' as const;
  readonly retryable = true;

  constructor(cause: unknown) {
    super(`Kafka metadata unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'TopicDirectoryUnavailableError';
  }
}

/** A fixed set of topics (unit tests, and deployments that pin the list). */
export class StaticTopicDirectory implements TopicDirectory {
  constructor(private readonly topics: Iterable<string>) {}

  async exists(topic: string): Promise<boolean> {
    return new Set(this.topics).has(topic);
  }
}
