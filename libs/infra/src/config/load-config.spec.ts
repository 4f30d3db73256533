import { IsInt, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { CommonEnv, ConfigValidationError, loadConfig } from '#infra';

class SampleEnv extends CommonEnv {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  SAMPLE_PORT = 3000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  SAMPLE_API_KEY_COUNT: number;
}

function problemsOf(env: Record<string, string>): ConfigValidationError {
  try {
    loadConfig(SampleEnv, env);
  } catch (err) {
    if (err instanceof ConfigValidationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const env = loadConfig(SampleEnv, {
      SAMPLE_PORT: '4000',
      SAMPLE_API_KEY_COUNT: '2',
      KAFKA_BROKERS: 'a:1,b:2',
    });
    expect(env.SAMPLE_PORT).toBe(4000);
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.KAFKA_BROKERS).toBe('a:1,b:2');
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig(SampleEnv, { SAMPLE_PORT: '', SAMPLE_API_KEY_COUNT: '1' }).SAMPLE_PORT).toBe(3000);
  });

  it.each([
    ['SAMPLE_PORT', { SAMPLE_PORT: '70000' }],
    ['SAMPLE_PORT', { SAMPLE_PORT: 'abc' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['KAFKA_BROKERS', { KAFKA_BROKERS: 'nohostport' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['KAFKA_TOPIC_PREFIX', { KAFKA_TOPIC_PREFIX: 'bad prefix' }],
  ])('names %s when it is invalid', (variable, env) => {
    const error = problemsOf({ SAMPLE_API_KEY_COUNT: '1', ...env });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).toContain(variable);
  });

  it('names a missing required variable and never echoes a secret-looking value', () => {
    expect(problemsOf({}).problems.map((p) => p.variable)).toEqual(['SAMPLE_API_KEY_COUNT']);
    const error = problemsOf({ SAMPLE_API_KEY_COUNT: 'sk-secret-value' });
    expect(error.message).toContain('SAMPLE_API_KEY_COUNT');
    expect(error.message).not.toContain('sk-secret-value');
  });
});
