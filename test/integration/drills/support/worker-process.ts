import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
/** The BUILT worker (tsx cannot emit decorator metadata); the integration global setup builds it if missing. */
export const WORKER_ENTRY = `${ROOT}dist/apps/batch-worker/main.js`;

/** The built entry of any of the three apps. */
export function appEntry(app: 'api' | 'batch-worker' | 'cj-integration'): string {
  return `${ROOT}dist/apps/${app}/main.js`;
}

/**
 * A built app (by default the batch worker) as a real child process, so a drill can SIGKILL it the way a crash (OOM kill, node loss)
 * ends a process: no shutdown hooks, BullMQ job locks left to expire. Its output is kept for failure messages.
 */
export class WorkerProcess {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(env: Record<string, string>, entry: string = WORKER_ENTRY): WorkerProcess {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run node scripts/build.mjs`);
    const child = spawn(process.execPath, [entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote (for assertion messages). */
  get logs(): string {
    return this.output;
  }

  /** SIGKILL by pid and wait until it is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM), used for cleanup. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
