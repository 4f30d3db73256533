// The individual path (POST /comparison with Prefer: wait → 200): its added latency over calling the provider
// directly, sequentially and at 200 concurrent clients. With nothing queued the API runs the request itself (a direct
// run, answered from its finish); otherwise a worker takes it from the individual lane's wake-up list and the held
// request is woken by the batch's terminal notification (Redis pub/sub); nothing polls. The API and the worker run as
// the built apps. As issue 12 measured it, the provider is a local OpenAI-compatible stub, called through the path
// (the OpenAI provider, official SDK) and directly; the Mock with no latency shows the path's own cost. The sequential
// figures are taken once the apps are warm (a running service is), in turns with their baselines; the first requests
// after start are shown beside them. In the same turns, a minimal Node proxy in front of the stub (with and without
// three Redis round trips) shows the floor any gateway pays on the machine of the run, and the Portkey gateway
// (1.15.2, the leading open gateway issue 12 measured against) in front of the same stub shows what it adds.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { ComparisonRequest } from '#contracts';
import {
  CircuitBreakerRegistry,
  MockProvider,
  ProviderCallCounter,
  ResilientCaller,
  RetryPolicy,
  loadProvidersConfig,
  withHiddenQuality,
} from '#llm-providers';
import type { Benchmark, BenchRow } from './bench.types.js';
import { compileApps, freePort, startApp, stopApp } from './support/built-apps.js';
import { percentile, waitHealthy } from './support/http-bench.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'bench-key-0123456789abcdef';
const LATENCY_WARMUP = 50;
const LATENCY_SAMPLES = 400;
/** Requests per series sent before the measured ones: V8 compiles the apps' hot code in the first thousand or so. */
const WARM_REQUESTS = 1_500;
const CONCURRENT_CLIENTS = 200;
const PER_CLIENT = 10;
/** Issue 12's targets for the individual path's added latency over a direct provider call. */
const INDIVIDUAL_TARGET_MS: Record<number, number> = { 50: 1.5, 99: 5 };
const ESSAY = 'The essay develops its argument with evidence and counterpoints. '.repeat(8);

/** A minimal OpenAI-compatible chat-completions endpoint: reads the body, answers a fixed completion. */
const STUB_SOURCE = `
const http = require('node:http');
const answer = JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', model: 'gpt-5-mini-2025-08-07',
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant',
    content: JSON.stringify({ winner: 'Essay A', justification: 'Clearer argument.', confidence: 4 }) } }],
  usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } });
// argv[2]: milliseconds of CPU spent per request (0 for the direct-call baseline).
const busyMs = Number(process.argv[2] ?? 0);
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    for (const until = Date.now() + (req.url === '/health' ? 0 : busyMs); Date.now() < until; );
    res.writeHead(200, { 'content-type': 'application/json' }); res.end(req.url === '/health' ? '{}' : answer);
  });
}).listen(Number(process.argv[1]), '127.0.0.1');
`;
/**
 * The floor any gateway pays on this machine: a minimal Node proxy (node:http in, node:http out with keep-alive,
 * the bodies passed through) in front of the stub, optionally making `argv[3]` Redis round trips (PING) per
 * request, as a path that stores the request and its result must. argv: stub port, own port, round trips.
 */
const PROXY_SOURCE = `
const http = require('node:http');
const { Redis } = require(process.argv[4]);
const [stubPort, ownPort, roundTrips] = process.argv.slice(1, 4).map(Number);
const redis = new Redis(process.argv[5]);
const agent = new http.Agent({ keepAlive: true });
const read = (stream) => new Promise((resolve) => {
  const chunks = [];
  stream.on('data', (c) => chunks.push(c));
  stream.on('end', () => resolve(Buffer.concat(chunks)));
});
http.createServer(async (req, res) => {
  const body = await read(req);
  if (req.url === '/health') return res.end('{}');
  for (let i = 0; i < roundTrips; i += 1) await redis.ping();
  const upstream = await new Promise((resolve) => http.request({ host: '127.0.0.1', port: stubPort,
    path: req.url, method: 'POST', agent, headers: { 'content-type': 'application/json',
    'content-length': body.length } }, resolve).end(body));
  const answer = await read(upstream);
  res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
  res.end(answer);
}).listen(ownPort, '127.0.0.1');
`;
/**
 * The Portkey gateway as issue 12 measured it (a dev dependency pinned to that version), started from its package
 * as `npx @portkey-ai/gateway` would, headless; `NODE_ENV=production` leaves out its local log-viewer UI.
 */
const PORTKEY_ENTRY = createRequire(import.meta.url).resolve('@portkey-ai/gateway/build/start-server.js');
const PORTKEY_VERSION = (
  createRequire(import.meta.url)('@portkey-ai/gateway/package.json') as { version: string }
).version;

/** Redis round trips of the floor that stores: the individual path's admission, create and finish. */
const FLOOR_ROUND_TRIPS = 3;
/**
 * The floor of the path's own stack (stack-floor.mjs): the official SDK call after three Redis round trips, served
 * by a minimal NestJS app on Express (the framework apps/api runs on) and by bare node:http.
 */
const STACK_FLOOR_ENTRY = fileURLToPath(new URL('./support/stack-floor.mjs', import.meta.url));
const STACK_FLOORS = [
  ['nest', 'minimal NestJS (Express) app'],
  ['node', 'bare node:http server'],
] as const;

/**
 * CPU per request of the saturated-server baseline at CONCURRENT_CLIENTS: a plain Node HTTP server at about the
 * individual path's throughput shows the same long tail (Node serves its many connections unevenly once the CPU
 * is the limit), so the concurrent p99 is read against it.
 */
const SATURATED_STUB_BUSY_MS = 2;

function directMock() {
  const config = loadProvidersConfig({ MOCK_LATENCY_MS: '0' });
  const counter = new ProviderCallCounter();
  const caller = new ResilientCaller(
    new RetryPolicy(config.retry),
    new CircuitBreakerRegistry(config.breaker),
    counter,
  );
  return new MockProvider({ config, caller, counter });
}

const benchmark: Benchmark = {
  name: 'individual',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    compileApps('individual', ['api', 'batch-worker']);

    const prefix = `bench-ind-${randomUUID().slice(0, 8)}`;
    const [apiPort, workerPort, stubPort] = [await freePort(), await freePort(), await freePort()];
    const shared = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      // As the issue measured it, the deployment's provider is the local OpenAI-compatible stub (official SDK);
      // requests naming provider_override "mock" take the Mock instead (the path's own cost, no provider hop).
      LLM_DEFAULT_PROVIDER: 'openai',
      MOCK_LATENCY_MS: '0',
      METRICS_SAMPLE_MS: '60000',
      OPENAI_API_KEY: 'sk-bench-local-stub',
      OPENAI_BASE_URL: `http://127.0.0.1:${stubPort}/v1`,
    };
    const base = `http://127.0.0.1:${apiPort}`;
    const headers = { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' };
    const rows: BenchRow[] = [];
    const row = (
      c: string,
      metric: string,
      value: number,
      unit: string,
      ratio?: BenchRow['ratio'],
      target?: BenchRow['target'],
      baseline?: BenchRow['baseline'],
    ) => rows.push({ benchmark: 'individual', case: c, metric, value, unit, ratio, target, baseline });

    // Default PREFER_WAIT_POLL_MS (1 s safety net): a request that depended on the re-read would show it.
    const api = startApp('api', {
      ...shared,
      API_PORT: String(apiPort),
      API_KEYS: API_KEY,
      // The bench is one tenant sending as fast as the path answers: the per-tenant rate limit is not under test.
      TENANT_REQUESTS_PER_SECOND: '1000000',
    });
    const worker: ChildProcess = startApp('batch-worker', {
      ...shared,
      WORKER_PORT: String(workerPort),
      KAFKA_TOPIC_PREFIX: 'huleedu',
    });
    const stub = spawn(process.execPath, ['-e', STUB_SOURCE, String(stubPort)], { stdio: 'ignore' });
    const [proxyPort, storingProxyPort] = [await freePort(), await freePort()];
    const ioredisPath = createRequire(import.meta.url).resolve('ioredis');
    const proxies = [
      [proxyPort, 0],
      [storingProxyPort, FLOOR_ROUND_TRIPS],
    ].map(([port, trips]) =>
      spawn(
        process.execPath,
        ['-e', PROXY_SOURCE, String(stubPort), String(port), String(trips), ioredisPath, REDIS_URL],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      ),
    );
    const stackFloors = [];
    for (const [mode, label] of STACK_FLOORS) {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [STACK_FLOOR_ENTRY, String(stubPort), String(port), mode, REDIS_URL],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      stackFloors.push({ port, label, child, latencies: [] as number[] });
    }
    const portkeyPort = await freePort();
    const portkey = spawn(process.execPath, [PORTKEY_ENTRY, `--port=${portkeyPort}`, '--headless'], {
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: 'ignore',
    });
    const busyPort = await freePort();
    const busyStub = spawn(
      process.execPath,
      ['-e', STUB_SOURCE, String(busyPort), String(SATURATED_STUB_BUSY_MS)],
      { stdio: 'ignore' },
    );
    try {
      await waitHealthy(`http://127.0.0.1:${stubPort}/health`);
      await waitHealthy(`http://127.0.0.1:${proxyPort}/health`);
      await waitHealthy(`http://127.0.0.1:${storingProxyPort}/health`);
      for (const floor of stackFloors) await waitHealthy(`http://127.0.0.1:${floor.port}/health`);
      // Portkey has no health route: its root answers once it listens.
      await waitHealthy(`http://127.0.0.1:${portkeyPort}/`);
      await waitHealthy(`${base}/health/live`);
      await waitHealthy(`http://127.0.0.1:${workerPort}/health/live`);
      const single = (i: number, provider?: 'mock') =>
        JSON.stringify({
          user_prompt: 'Compare the two essays on argument quality.',
          essay_a: withHiddenQuality(ESSAY, 0.8),
          essay_b: withHiddenQuality(ESSAY, 0.2),
          comparison_id: `lat-${i}`,
          priority: 10,
          ...(provider ? { llm_config_overrides: { provider_override: provider } } : {}),
        });
      const post = async (i: number, provider?: 'mock'): Promise<number> => {
        const started = performance.now();
        const res = await fetch(`${base}/api/v1/comparison`, {
          method: 'POST',
          headers: { ...headers, Prefer: 'wait=30' },
          body: single(i, provider),
        });
        const elapsed = performance.now() - started;
        if (res.status !== 200) throw new Error(`individual answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        return elapsed;
      };
      // A timed chat-completions call to a server on `port`. To the stub in its own process, it is the direct call
      // (issue 12 measured Portkey against this): it pays the same process hop and scheduling the API path does.
      const callAt =
        (port: number, extraHeaders: Record<string, string> = {}) =>
        async (i: number): Promise<number> => {
          const started = performance.now();
          const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
            method: 'POST',
            headers: { ...headers, ...extraHeaders },
            body: single(i),
          });
          const answered = res.status;
          await res.arrayBuffer();
          const elapsed = performance.now() - started;
          if (answered !== 200) throw new Error(`chat completion via port ${port} answered ${answered}`);
          return elapsed;
        };
      const httpCall = callAt(stubPort);
      const viaProxy = callAt(proxyPort);
      const viaStoringProxy = callAt(storingProxyPort);
      // Portkey's documented headers for an OpenAI-compatible server of one's own.
      const viaPortkey = callAt(portkeyPort, {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${stubPort}/v1`,
      });
      const mock = directMock();
      const directCall = async (i: number): Promise<number> => {
        const request = JSON.parse(single(i)) as ComparisonRequest;
        const started = performance.now();
        await mock.generateComparison(request, { provider_override: 'mock' });
        return performance.now() - started;
      };

      // Just after start: the apps' code is still being compiled by V8's JIT (informational).
      const cold: number[] = [];
      for (let i = 0; i < LATENCY_WARMUP + LATENCY_SAMPLES; i += 1) {
        const elapsed = await post(i, 'mock');
        if (i >= LATENCY_WARMUP) cold.push(elapsed);
      }
      cold.sort((a, b) => a - b);
      for (const p of [50, 99])
        row(
          `individual via API (Mock), first ${LATENCY_SAMPLES} requests after start`,
          `p${p} latency`,
          percentile(cold, p),
          'ms',
        );

      // A running service is warm: both paths are warmed up before they are measured.
      for (let i = 0; i < WARM_REQUESTS; i += 1) {
        await post(10_000 + i, 'mock');
        await post(20_000 + i);
        await httpCall(i);
        await viaProxy(i);
        await viaStoringProxy(i);
        await viaPortkey(i);
        for (const floor of stackFloors) await callAt(floor.port)(i);
      }
      // Then measured in turns (API via the OpenAI stub, direct call to the stub, API via the Mock, the Mock
      // in-process), so a noisy moment on the shared machine falls on every series alike.
      const viaStub: number[] = [];
      const httpDirect: number[] = [];
      const viaMock: number[] = [];
      const direct: number[] = [];
      const proxied: number[] = [];
      const storingProxied: number[] = [];
      const portkeyed: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
        viaStub.push(await post(30_000 + i));
        httpDirect.push(await httpCall(30_000 + i));
        viaMock.push(await post(40_000 + i, 'mock'));
        direct.push(await directCall(40_000 + i));
        proxied.push(await viaProxy(50_000 + i));
        storingProxied.push(await viaStoringProxy(60_000 + i));
        portkeyed.push(await viaPortkey(70_000 + i));
        for (const floor of stackFloors) floor.latencies.push(await callAt(floor.port)(80_000 + i));
      }
      for (const series of [viaStub, httpDirect, viaMock, direct, proxied, storingProxied, portkeyed])
        series.sort((a, b) => a - b);
      for (const floor of stackFloors) floor.latencies.sort((a, b) => a - b);
      const viaStubCase = `individual via API → OpenAI provider (official SDK) → the stub, ${LATENCY_SAMPLES} sequential (Prefer: wait)`;
      const viaMockCase = `individual via API → Mock provider, ${LATENCY_SAMPLES} sequential (Prefer: wait)`;
      for (const p of [50, 99]) {
        row(viaStubCase, `p${p} latency`, percentile(viaStub, p), 'ms');
        row(viaMockCase, `p${p} latency`, percentile(viaMock, p), 'ms');
        row('Mock generateComparison in-process (baseline)', `p${p} latency`, percentile(direct, p), 'ms');
        row(
          'direct HTTP call to a local OpenAI-compatible stub (baseline)',
          `p${p} latency`,
          percentile(httpDirect, p),
          'ms',
        );
      }
      // Issue 12's figure, as the issue measured it: the same OpenAI-compatible stub called through the path and
      // directly. Through the Mock the path makes no provider HTTP call at all, so that figure over the direct HTTP
      // call is the path's own cost (queue, worker, store, wake-up) with the one client hop counted on both sides.
      for (const p of [50, 99]) {
        row(
          'individual path → OpenAI-compatible stub, sequential (warm)',
          `p${p} added latency over a direct call to the stub`,
          percentile(viaStub, p) - percentile(httpDirect, p),
          'ms',
          undefined,
          { max: INDIVIDUAL_TARGET_MS[p], issue: '#12' },
          { value: percentile(httpDirect, p), label: `direct HTTP call p${p}` },
        );
        row(
          'individual path → Mock, sequential (warm)',
          `p${p} added latency over a direct HTTP call`,
          percentile(viaMock, p) - percentile(httpDirect, p),
          'ms',
          undefined,
          { max: INDIVIDUAL_TARGET_MS[p], issue: '#12' },
          { value: percentile(httpDirect, p), label: `direct HTTP call p${p}` },
        );
      }
      // The floor on this machine, in the same turns: what a minimal proxy adds, and one that also makes the three
      // Redis round trips a path storing the request and its result makes (informational: no target).
      for (const [c, series] of [
        ['minimal Node proxy → the stub (floor of any gateway here)', proxied],
        [
          `minimal Node proxy with ${FLOOR_ROUND_TRIPS} Redis round trips → the stub (floor of a storing path)`,
          storingProxied,
        ],
      ] as const) {
        row(
          c,
          'p50 added latency over a direct call to the stub',
          percentile(series, 50) - percentile(httpDirect, 50),
          'ms',
          undefined,
          undefined,
          {
            value: percentile(httpDirect, 50),
            label: 'direct HTTP call p50',
          },
        );
      }
      // The floor of the stack this path is built on, in the same turns: the official SDK call after the path's three
      // Redis round trips, from a minimal NestJS app and from bare node:http, with none of the path's own work
      // (auth, validation, stored state). Shown against issue 12's targets: where a floor misses one, no code in
      // this path can meet it on the machine of the run.
      for (const floor of stackFloors)
        for (const p of [50, 99])
          row(
            `stack floor: ${floor.label}, ${FLOOR_ROUND_TRIPS} Redis round trips, official OpenAI SDK → the stub`,
            `p${p} added latency over a direct call to the stub`,
            percentile(floor.latencies, p) - percentile(httpDirect, p),
            'ms',
            undefined,
            { max: INDIVIDUAL_TARGET_MS[p], issue: '#12 (floor)' },
            { value: percentile(httpDirect, p), label: `direct HTTP call p${p}` },
          );
      // The leading open gateway in front of the same stub, in the same turns: the issue's title asks for an
      // individual call faster than it (it stores nothing; this path stores the request, its result and its event).
      const portkeyCase = `Portkey gateway ${PORTKEY_VERSION} → the stub (the leading open gateway, as issue 12 measured it)`;
      for (const p of [50, 99])
        row(
          portkeyCase,
          `p${p} added latency over a direct call to the stub`,
          percentile(portkeyed, p) - percentile(httpDirect, p),
          'ms',
          undefined,
          undefined,
          { value: percentile(httpDirect, p), label: `direct HTTP call p${p}` },
        );
      const portkeyAdded = percentile(portkeyed, 50) - percentile(httpDirect, 50);
      row(
        'individual path → OpenAI-compatible stub, sequential (warm), against Portkey',
        "p50 added latency ÷ Portkey's p50 added latency",
        (percentile(viaStub, 50) - percentile(httpDirect, 50)) / portkeyAdded,
        '×',
        undefined,
        { max: 1, issue: '#12 (title)' },
        { value: portkeyAdded, label: `Portkey ${PORTKEY_VERSION}'s p50 added`, unit: 'ms' },
      );
      row('machine', 'load average (1 min) during the run', loadavg()[0], '');

      // The same at CONCURRENT_CLIENTS clients, each sending its requests one after another.
      const concurrent = async (call: (i: number) => Promise<number>) => {
        const latencies: number[] = [];
        const started = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENT_CLIENTS }, async (_, client) => {
            for (let k = 0; k < PER_CLIENT; k += 1)
              latencies.push(await call(100_000 + client * PER_CLIENT + k));
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        return { latencies: latencies.sort((a, b) => a - b), rate: latencies.length / seconds };
      };
      const loadedApi = await concurrent((i) => post(i, 'mock'));
      const loadedDirect = await concurrent(directCall);
      await waitHealthy(`http://127.0.0.1:${busyPort}/health`);
      const loadedBusy = await concurrent(callAt(busyPort));
      const busyCase = `plain Node HTTP server spending ${SATURATED_STUB_BUSY_MS} ms CPU per request, ${CONCURRENT_CLIENTS} concurrent clients (baseline)`;
      for (const p of [50, 99]) row(busyCase, `p${p} latency`, percentile(loadedBusy.latencies, p), 'ms');
      row(busyCase, 'throughput', loadedBusy.rate, 'requests/s');
      const loaded = `individual via API, ${CONCURRENT_CLIENTS} concurrent clients`;
      for (const p of [50, 99]) {
        row(loaded, `p${p} latency`, percentile(loadedApi.latencies, p), 'ms', undefined, undefined, {
          value: percentile(loadedDirect.latencies, p),
          label: `Mock in-process, ${CONCURRENT_CLIENTS} concurrent`,
        });
        // "Hold it at 200 concurrent clients": the same target over the direct call at the same concurrency.
        row(
          `individual path, ${CONCURRENT_CLIENTS} concurrent`,
          `p${p} added latency over a direct call`,
          percentile(loadedApi.latencies, p) - percentile(loadedDirect.latencies, p),
          'ms',
          undefined,
          { max: INDIVIDUAL_TARGET_MS[p], issue: '#12' },
          { value: percentile(loadedDirect.latencies, p), label: `direct in-process call p${p}` },
        );
      }
      row(loaded, 'throughput', loadedApi.rate, 'requests/s', undefined, undefined, {
        value: loadedDirect.rate,
        label: `Mock in-process, ${CONCURRENT_CLIENTS} concurrent`,
      });
    } finally {
      await stopApp(stub);
      await stopApp(busyStub);
      for (const proxy of proxies) await stopApp(proxy);
      for (const floor of stackFloors) await stopApp(floor.child);
      await stopApp(portkey);
      await stopApp(worker);
      await stopApp(api);
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      await redis.quit();
    }
    return rows;
  },
};

export default benchmark;
