// The demo's end-to-end time: `scripts/demo.sh --quiet` (services up, three apps started from dist/, 40 essays x
// k = 10 through Kafka, Mock provider, apps stopped). Builds once first (untimed) when dist/ is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchRow } from './bench.types.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface DemoResult {
  essays: number;
  comparisons: number;
  elapsed_ms: number;
  provider_calls: number | null;
  individual_calls: number;
  spearman: number;
  ssr: number | null;
}

const bench: Benchmark = {
  name: 'demo',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    if (!existsSync(`${root}/dist/apps/cj-integration/main.js`)) {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
    }
    const started = process.hrtime.bigint();
    const demo = spawnSync('bash', ['scripts/demo.sh', '--quiet', '--skip-build'], {
      cwd: root,
      encoding: 'utf8',
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const line = demo.stdout.split('\n').find((l) => l.startsWith('DEMO_RESULT '));
    if (demo.status !== 0 || !line) {
      throw new Error(`demo failed (exit ${demo.status}): ${demo.stderr.slice(-2000)}`);
    }
    const result = JSON.parse(line.slice('DEMO_RESULT '.length)) as DemoResult;
    const name = 'demo end to end';
    const cases = `${result.essays} essays, ${result.comparisons} comparisons (Mock)`;
    const rows: BenchRow[] = [
      {
        benchmark: name,
        case: cases,
        metric: 'wall time: start apps → ranking → apps stopped',
        value: wallMs / 1000,
        unit: 's',
      },
      {
        benchmark: name,
        case: cases,
        metric: 'request published → ranking received',
        value: result.elapsed_ms / 1000,
        unit: 's',
      },
      { benchmark: name, case: cases, metric: 'Spearman vs known order', value: result.spearman, unit: '' },
    ];
    if (result.provider_calls !== null) {
      rows.push({
        benchmark: name,
        case: cases,
        metric: 'provider calls (batch API)',
        value: result.provider_calls,
        unit: 'calls',
      });
      rows.push({
        benchmark: name,
        case: cases,
        metric: 'provider calls, individual ÷ batch API',
        value: result.individual_calls / Math.max(result.provider_calls, 1),
        unit: 'x',
      });
    }
    return rows;
  },
};

export default bench;
