import { allTopics, topicNames, TOPIC_NAME_PATTERN } from '#contracts';

describe('topic names', () => {
  it('keeps the platform names under the default prefix', () => {
    expect(topicNames().comparisonResult).toBe('huleedu.llm_provider.comparison_result.v1');
    expect(topicNames().assessmentRequested).toBe('huleedu.els.cj_assessment.requested.v1');
  });

  it('moves every topic under a configured prefix, each a valid Kafka name', () => {
    const topics = allTopics('acme');
    expect(topics.length).toBeGreaterThan(3);
    for (const topic of topics) {
      expect(topic.startsWith('acme.')).toBe(true);
      expect(topic).toMatch(TOPIC_NAME_PATTERN);
    }
  });
});
