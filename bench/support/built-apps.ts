// Benchmarks run the apps as built processes (node dist/apps/<app>/main.js): tsx cannot emit the decorator metadata
// Nest's DI needs, and separate processes are what production runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export { freePort } from '../../test/support/throwaway-services.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type BuiltApp = 'api' | 'batch-worker' | 'cj-integration';

/** Compiles the tree into dist/ and writes the entry points of `apps`, as scripts/build.mjs does (tsc alone does not). */
export function compileApps(bench: string, apps: readonly BuiltApp[]): void {
  process.stderr.write(`bench ${bench}: compiling the apps (tsc -p tsconfig.build.json)\n`);
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    // Type errors elsewhere in the tree still emit JavaScript; a missing entry point fails the app's start.
  }
  for (const app of apps) {
    mkdirSync(`${ROOT}dist/apps/${app}`, { recursive: true });
    writeFileSync(`${ROOT}dist/apps/${app}/main.js`, "import './src/main.js';\n");
  }
}

/**
 * Node flags for every app a benchmark starts, from BENCH_NODE_FLAGS (space-separated): to profile an app under
 * the benchmark's load, e.g. `BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench -- pipeline`.
 */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Starts a built app with quiet logs; its stderr passes through so a failed start is visible. */
export function startApp(app: BuiltApp, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...NODE_FLAGS, `dist/apps/${app}/main.js`], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function stopApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
