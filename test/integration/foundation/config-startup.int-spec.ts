import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The built apps (npm test builds before the integration project) must refuse to start on bad configuration.
const root = fileURLToPath(new URL('../../../', import.meta.url));

function start(app: string, env: Record<string, string>) {
  const result = spawnSync('node', [`dist/apps/${app}/main.js`], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = result.stderr.split('\n').find((l) => l.includes('CONFIG_INVALID')) ?? '';
  return {
    status: result.status,
    error: line ? (JSON.parse(line) as { msg: string; problems: { variable: string }[] }) : null,
  };
}

describe('apps stop at start-up on bad configuration', () => {
  it.each([
    ['api', {}, 'API_KEYS'],
    ['api', { API_KEYS: 'k'.repeat(20), API_PORT: '99999' }, 'API_PORT'],
    ['api', { API_KEYS: 'k'.repeat(20), REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    ['batch-worker', { WORKER_PORT: 'abc' }, 'WORKER_PORT'],
    ['batch-worker', { KAFKA_BROKERS: 'no-port' }, 'KAFKA_BROKERS'],
    ['cj-integration', { CJ_API_KEY: 'k'.repeat(20), CJ_MIN_SUCCESS_RATE: '2' }, 'CJ_MIN_SUCCESS_RATE'],
    ['cj-integration', {}, 'CJ_API_KEY'],
    ['api', { API_KEYS: 'k'.repeat(20), MOCK_ERROR_RATE: '5' }, 'MOCK_ERROR_RATE'],
    ['api', { API_KEYS: 'k'.repeat(20), DIRECT_RUN_CONCURRENCY: '-1' }, 'DIRECT_RUN_CONCURRENCY'],
    ['api', { API_KEYS: 'k'.repeat(20), DIRECT_RUN_LEASE_MS: '10' }, 'DIRECT_RUN_LEASE_MS'],
    ['batch-worker', { LLM_DEFAULT_PROVIDER: 'nope' }, 'LLM_DEFAULT_PROVIDER'],
  ])('%s with %j exits 1 naming %s', (app, env, variable) => {
    const { status, error } = start(app, env);
    expect(status).toBe(1);
    expect(error?.problems.map((p) => p.variable)).toContain(variable);
    expect(error?.msg).toContain(variable);
  });

  it('never echoes a rejected key', () => {
    const { status, error } = start('api', { API_KEYS: 'short-secret' });
    expect(status).toBe(1);
    expect(JSON.stringify(error)).not.toContain('short-secret');
  });
});
