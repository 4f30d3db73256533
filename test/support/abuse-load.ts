import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';

/** A body of `bytes` (approximately, ≤) made of minimal comparisons: the cheapest items to send, the most to parse. */
export function minimalItemsBody(bytes: number): Buffer {
  const head = '{"comparisons":[';
  const parts: string[] = [head];
  let size = head.length + 2;
  for (let i = 0; ; i++) {
    const item = `${i === 0 ? '' : ','}{"comparison_id":"p${i}","user_prompt":"x","essay_a":"y","essay_b":"z"}`;
    if (size + item.length > bytes) break;
    parts.push(item);
    size += item.length;
  }
  parts.push(']}');
  return Buffer.from(parts.join(''));
}

export interface SentRequest {
  status: number;
  ms: number;
  /** Error code when the request failed before an answer (e.g. ECONNRESET). */
  error?: string;
}

/**
 * POSTs `body` and resolves with the answer's status; stops sending (and drops the connection) as soon as the
 * answer arrives, as a client refused early would, so an early 401/413/429 does not cost a whole upload.
 */
export function postRaw(url: string, body: Buffer, headers: Record<string, string>): Promise<SentRequest> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<SentRequest, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: performance.now() - started });
    };
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0 }));
        res.on('error', () => done({ status: res.statusCode ?? 0 }));
        if ((res.statusCode ?? 0) >= 400) req.destroy();
        done({ status: res.statusCode ?? 0 });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => done({ status: 0, error: err.code ?? err.message }));
    // Written in 1 MB chunks so the server sees a normal streaming upload.
    const chunk = 1 << 20;
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length && !req.destroyed) {
        const ok = req.write(body.subarray(offset, offset + chunk));
        offset += chunk;
        if (!ok) return void req.once('drain', writeMore);
      }
      if (!req.destroyed) req.end();
    };
    writeMore();
  });
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface AbuseLoadOptions {
  baseUrl: string;
  /** Key of the abusing tenant (authenticated oversized requests). */
  abuserKey: string;
  /** Key of a well-behaved tenant sending normal traffic meanwhile. */
  normalKey: string;
  authenticated: { count: number; bytes: number };
  unauthenticated: { count: number; bytes: number };
  /** Send the abusive requests from a child process (a fair measurement of the server's latency). */
  separateProcess?: boolean;
  /** Interval of /health/live probes and of normal requests while the load runs. */
  probeIntervalMs: number;
  normalIntervalMs: number;
}

export interface AbuseLoadResult {
  authenticated: SentRequest[];
  unauthenticated: SentRequest[];
  health: SentRequest[];
  normal: SentRequest[];
  /** Wall time of the abusive requests, first sent to last answered. */
  durationMs: number;
  bodyBytes: { authenticated: number; unauthenticated: number };
}

/**
 * Sends the abusive requests all at once while probing /health/live and sending small valid batches as another
 * tenant, until every abusive request has been answered.
 */
export async function runAbuseLoad(options: AbuseLoadOptions): Promise<AbuseLoadResult> {
  const url = `${options.baseUrl}/api/v1/comparison/batch`;
  const health: SentRequest[] = [];
  const normal: SentRequest[] = [];
  let running = true;

  const probe = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await fetch(`${options.baseUrl}/health/live`);
        await res.arrayBuffer();
        health.push({ status: res.status, ms: performance.now() - started });
      } catch (err) {
        health.push({ status: 0, ms: performance.now() - started, error: (err as Error).message });
      }
      await new Promise((r) => setTimeout(r, options.probeIntervalMs));
    }
  })();
  let n = 0;
  const traffic = (async () => {
    while (running) {
      const body = Buffer.from(
        JSON.stringify({
          correlation_id: `normal-${n++}-${Date.now()}`,
          comparisons: [
            { comparison_id: 'c0', user_prompt: 'Which is better?', essay_a: 'One.', essay_b: 'Two.' },
          ],
        }),
      );
      normal.push(await postRaw(url, body, { Authorization: `Bearer ${options.normalKey}` }));
      await new Promise((r) => setTimeout(r, options.normalIntervalMs));
    }
  })();

  let sent: Omit<AbuseLoadResult, 'health' | 'normal'>;
  try {
    sent = options.separateProcess ? await sendFromChild(url, options) : await sendHere(url, options);
  } finally {
    running = false;
    await Promise.all([probe, traffic]);
  }
  return { ...sent, health, normal };
}

async function sendHere(
  url: string,
  options: AbuseLoadOptions,
): Promise<Omit<AbuseLoadResult, 'health' | 'normal'>> {
  const authedBody = minimalItemsBody(options.authenticated.bytes);
  const unauthBody = minimalItemsBody(options.unauthenticated.bytes);
  const started = performance.now();
  const [authenticated, unauthenticated] = await Promise.all([
    Promise.all(
      Array.from({ length: options.authenticated.count }, () =>
        postRaw(url, authedBody, { Authorization: `Bearer ${options.abuserKey}` }),
      ),
    ),
    Promise.all(Array.from({ length: options.unauthenticated.count }, () => postRaw(url, unauthBody, {}))),
  ]);
  return {
    authenticated,
    unauthenticated,
    durationMs: performance.now() - started,
    bodyBytes: { authenticated: authedBody.length, unauthenticated: unauthBody.length },
  };
}

function sendFromChild(
  url: string,
  options: AbuseLoadOptions,
): Promise<Omit<AbuseLoadResult, 'health' | 'normal'>> {
  const script = fileURLToPath(new URL('./abuse-senders.ts', import.meta.url));
  const args = JSON.stringify({
    url,
    abuserKey: options.abuserKey,
    authenticated: options.authenticated,
    unauthenticated: options.unauthenticated,
  });
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout) =>
        err ? reject(err) : resolve(JSON.parse(stdout) as Omit<AbuseLoadResult, 'health' | 'normal'>),
    );
  });
}
