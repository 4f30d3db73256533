// Integration tests run against the real Redis and Kafka: bring them up (idempotent, fast when already up).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function globalSetup() {
  const script = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));
  execFileSync('bash', [script, 'up'], { stdio: 'inherit' });
}
