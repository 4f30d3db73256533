import { ConfigValidationError, loadConfig } from '#infra';
import { CjEnv } from './cj-env.js';

describe('CjEnv', () => {
  const key = { CJ_API_KEY: 'a-key-of-enough-length' };

  it('has the documented defaults', () => {
    expect(loadConfig(CjEnv, key)).toMatchObject({
      CJ_PORT: 3002,
      CJ_DEFAULT_COMPARISONS_PER_ESSAY: 10,
      CJ_BATCH_RETRIES: 1,
      CJ_MIN_SUCCESS_RATE: 1,
      CJ_BT_RIDGE: 0.01,
      CJ_KAFKA_GROUP_ID: 'cj-integration',
    });
  });

  it.each([
    ['CJ_API_KEY', undefined],
    ['CJ_MIN_SUCCESS_RATE', '1.5'],
    ['CJ_BATCH_RETRIES', '-1'],
    ['CJ_API_BASE_URL', 'not a url'],
    ['CJ_ASSESSMENT_DEADLINE_MS', '10'],
    ['CJ_CALLBACK_TOPIC', 'bad topic'],
  ])('refuses a bad %s', (variable, value) => {
    const env = { ...key, [variable]: value };
    if (value === undefined) delete (env as Record<string, unknown>)[variable];
    expect(() => loadConfig(CjEnv, env)).toThrow(ConfigValidationError);
  });
});
