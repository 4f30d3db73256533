// What the end-to-end benches measure of the processes they start: peak RSS, Redis memory, and a built app with
// its output in a log file (read it when a start fails).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { ROOT, type BuiltApp } from './built-apps.js';

/** The process's peak resident set (VmHWM) and current RSS, in bytes. */
export function memoryOf(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: kb('VmHWM') * 1024, rss: kb('VmRSS') * 1024 };
}

export async function usedMemory(redis: Redis): Promise<{ used: number; peak: number }> {
  const info = await redis.info('memory');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { used: field('used_memory'), peak: field('used_memory_peak') };
}

/** Starts a built app with its output in `.run/<dir>/<app>-<tag>.log`. */
export function launchLogged(
  dir: string,
  app: BuiltApp,
  tag: string | number,
  env: Record<string, string>,
): ChildProcess {
  const logDir = `${ROOT}.run/${dir}`;
  mkdirSync(logDir, { recursive: true });
  const log = openSync(`${logDir}/${app}-${tag}.log`, 'w');
  const child = spawn(process.execPath, [`dist/apps/${app}/main.js`], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      process.stderr.write(
        `bench ${dir}: ${app} exited (${code ?? signal}); see ${logDir}/${app}-${tag}.log\n`,
      );
    }
  });
  return child;
}

/** A JSON call with an API key; a non-2xx answer throws with its body. */
export async function apiCall(
  apiKey: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`bench: ${method} ${url} → ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
