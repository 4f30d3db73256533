// Integration tests run against the real Redis and Kafka: bring them up (idempotent, fast when already up).
// The crash drill runs the BUILT worker as a child process (tsx cannot emit decorator metadata): build it when
// missing (`npm test` builds before the integration tests, so this only costs time on a bare `jest` run).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function globalSetup() {
  const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));
  execFileSync('bash', [script, 'up'], { stdio: 'inherit' });
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (!existsSync(`${root}/dist/apps/batch-worker/main.js`)) {
    execFileSync('node', ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  }
}
