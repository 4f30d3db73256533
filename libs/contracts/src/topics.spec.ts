import { allTopics, isInternalTopic, topicNames, TOPIC_NAME_PATTERN } from '#contracts';

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

  it('marks the assessment topics and Kafka internals as internal, never a result topic', () => {
    for (const topic of [
      'acme.els.cj_assessment.requested.v1',
      'acme.cj_assessment.failed.v1',
      '__consumer_offsets',
      '..',
    ]) {
      expect(isInternalTopic(topic, 'acme')).toBe(true);
    }
    const names = topicNames('acme');
    for (const topic of [names.comparisonResult, names.cjComparisonResult, 'acme-results.v1']) {
      expect(isInternalTopic(topic, 'acme')).toBe(false);
    }
  });
});
