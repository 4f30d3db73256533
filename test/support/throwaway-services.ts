import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const servicesScript = new URL('../../scripts/services.sh', import.meta.url).pathname;

/**
 * Where listening ports are picked: below the kernel's ephemeral range, which outgoing connections draw their local
 * ports from. A port picked inside that range (as `listen(0)` does) can be taken by another process's Redis or Kafka
 * connection between the pick and the app's own listen (seen: EADDRINUSE for the third worker of the replicas drill).
 */
function listenRange(): { from: number; to: number } {
  let ephemeralFrom = 32_768;
  try {
    ephemeralFrom = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
  } catch {
    // Not Linux: the IANA ephemeral range starts higher still.
  }
  return { from: 10_000, to: Math.max(12_000, Math.min(ephemeralFrom, 32_768)) };
}

/** Ports this process handed out: a port not yet listened on by its app is not handed out again. */
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port free to listen on now, outside the ephemeral range (see listenRange). */
export async function freePort(): Promise<number> {
  const { from, to } = listenRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${from}–${to - 1} after 100 tries`);
}

/**
 * A private redis-server on its own port, so a test can stop and restart it without disturbing others.
 * `durable`: AOF with `appendfsync always` in its own directory, so a SIGKILL loses no acknowledged write (the chaos
 * drill kills it and expects every accepted request to survive the restart).
 */
export class ThrowawayRedis {
  private process?: ChildProcess;
  private readonly dir?: string;
  constructor(
    readonly port: number,
    options: { durable?: boolean } = {},
  ) {
    if (options.durable) this.dir = mkdtempSync(join(tmpdir(), 'throwaway-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const persistence = this.dir
      ? ['--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) resolve();
      });
    });
    child.removeAllListeners('exit');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Dies at once, as on a crash: only what the AOF already holds survives (with `durable`, every acknowledged write). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stops the server and removes its data directory. */
  async destroy(): Promise<void> {
    await this.kill();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

/** A second single-node Kafka broker (scripts/services.sh with another port and run dir). */
export class ThrowawayKafka {
  private readonly runDir = mkdtempSync(join(tmpdir(), 'kafka-drill-'));
  constructor(readonly port: number) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  private env() {
    return { ...process.env, KAFKA_BROKERS: this.brokers, SERVICES_RUN_DIR: this.runDir, KAFKA_HEAP: '384m' };
  }

  async start(): Promise<void> {
    await run('bash', [servicesScript, 'kafka-up'], { env: this.env() });
  }

  async stop(): Promise<void> {
    await run('bash', [servicesScript, 'kafka-down'], { env: this.env() });
  }

  /** SIGKILL, as in a crash: the broker vanishes at once, without a controlled shutdown. */
  async kill(): Promise<void> {
    const pidFile = join(this.runDir, `kafka-${this.port}.pid`);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    rmSync(pidFile, { force: true });
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
