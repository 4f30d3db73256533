// One national-scale REST assessment end to end (issue 8): 20,000 essays of ~3,000 characters (≈60 MB of essay
// text, k = 10 → 100,000 comparisons) uploaded through POST /api/v1/assessments/uploads in parts (≤ 10 MB each),
// sealed, and run by cj-integration through the api and batch-worker on the Mock. The built api, batch-worker and
// cj-integration run as child processes on a private redis-server (so Redis used_memory counts only this run).
// Printed: upload time (create → last part → seal answered), seal → completed, Spearman against the Mock's hidden
// quality, api / worker / cj-integration peak RSS (VmHWM), Redis used_memory growth after the upload and at peak.
//
//   npm run bench -- assessment-upload                    20,000 essays
//   npm run bench -- assessment-upload --essays=5000      a smaller round
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { allTopics, topicNames } from '#contracts';
import { assessmentKey } from '#assessment-store';
import { spearman } from '#cj-scoring';
import { ensureTopics, parseBrokers } from '#infra';
import { withHiddenQuality } from '#llm-providers';
import { ThrowawayRedis } from '../test/support/throwaway-services.js';
import type { Benchmark, BenchRow } from './bench.types.js';
import { compileApps, freePort, stopApp } from './support/built-apps.js';
import { waitHealthy } from './support/http-bench.js';
import { apiCall, launchLogged, memoryOf, usedMemory } from './support/process-figures.js';

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const CJ_KEY = `bench-upload-cj-${randomUUID()}`;
const USER_KEY = `bench-upload-user-${randomUUID()}`;
const K = 10;
const ESSAY_CHARS = 3_000;
const MOCK_LATENCY_MS = 3_000;
/** Parts stay under the API's 10 MB part limit with a margin. */
const PART_TARGET_BYTES = 8_000_000;
const DEFAULT_ESSAYS = 20_000;
const MB = 1024 * 1024;
/** How long a decided outcome may stay unpublished before the run stops waiting for 'completed'. */
const STUCK_AFTER_MS = 90_000;

function essaysFromArgs(): number {
  const arg = process.argv.find((a) => a.startsWith('--essays='));
  const n = arg ? Number(arg.slice('--essays='.length).replace(/_/g, '')) : DEFAULT_ESSAYS;
  if (!Number.isInteger(n) || n < 2) throw new Error('bench assessment-upload: --essays takes a count ≥ 2');
  return n;
}

const quality = (i: number, n: number) => Number(((i * 7919) % n) / n);

/** ~3,000 characters of prose per essay, distinct per essay, with the hidden quality the Mock judges by. */
function essayOf(i: number, n: number): { essay_id: string; text: string } {
  const sentence =
    `Essay ${i} argues that homework builds independence, weighs the evidence for and against, and ` +
    'answers the strongest objection before it concludes. ';
  const body = sentence.repeat(Math.ceil(ESSAY_CHARS / sentence.length)).slice(0, ESSAY_CHARS - 20);
  return { essay_id: `e-${i}`, text: withHiddenQuality(body, quality(i, n)) };
}

/** Pages of essays whose JSON stays under PART_TARGET_BYTES, built one page at a time. */
function* pages(n: number): Generator<Array<{ essay_id: string; text: string }>> {
  let page: Array<{ essay_id: string; text: string }> = [];
  let bytes = 0;
  for (let i = 0; i < n; i += 1) {
    const essay = essayOf(i, n);
    const size = Buffer.byteLength(JSON.stringify(essay)) + 1;
    if (bytes + size > PART_TARGET_BYTES && page.length > 0) {
      yield page;
      page = [];
      bytes = 0;
    }
    page.push(essay);
    bytes += size;
  }
  if (page.length > 0) yield page;
}

/** The outcome event cj-integration stored with the record before publishing it. */
interface StoredOutcome {
  data: { rankings: Array<{ essay_id: string; score: number }> };
}

interface Figures {
  essays: number;
  comparisons: number;
  parts: number;
  uploadBytes: number;
  uploadMs: number;
  sealMs: number;
  sealToDecidedMs: number;
  /** null when the outcome was decided but the assessment never turned completed (its event not published). */
  sealToCompletedMs: number | null;
  outcomeEventBytes: number;
  rho: number;
  apiPeakAtSeal: number;
  apiPeakRss: number;
  workerPeakRss: number;
  cjPeakRss: number;
  redisAfterUpload: number;
  redisGrowthPeak: number;
}

async function runRound(n: number): Promise<Figures> {
  const run = randomUUID().slice(0, 8);
  const topicPrefix = `benchupload${run}`;
  const brokers = parseBrokers(KAFKA_BROKERS);
  const redisServer = new ThrowawayRedis(await freePort());
  await redisServer.start();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const topics = allTopics(topicPrefix);
  await ensureTopics(brokers, topics, { partitions: 3 });
  const ports = new Set<number>([redisServer.port]);
  const port = async () => {
    let p = await freePort();
    while (ports.has(p)) p = await freePort();
    ports.add(p);
    return p;
  };
  const [apiPort, workerPort, cjPort] = [await port(), await port(), await port()];
  const common = {
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: `bench-upload-${run}`,
    KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    LLM_DEFAULT_PROVIDER: 'mock',
    MOCK_LATENCY_MS: String(MOCK_LATENCY_MS),
    METRICS_SAMPLE_MS: '60000',
  };
  const apps: ChildProcess[] = [];
  try {
    const api = launchLogged('bench-assessment-upload', 'api', n, {
      ...common,
      API_PORT: String(apiPort),
      API_KEYS: `cj-integration:${CJ_KEY},school:${USER_KEY}`,
      TENANT_CALLBACK_TOPICS: JSON.stringify({
        'cj-integration': [topicNames(topicPrefix).cjComparisonResult],
      }),
    });
    apps.push(api);
    const worker = launchLogged('bench-assessment-upload', 'batch-worker', n, {
      ...common,
      WORKER_PORT: String(workerPort),
      BATCH_POLL_INTERVAL_MS: '250',
      BATCH_POLL_MAX_INTERVAL_MS: '250',
    });
    apps.push(worker);
    const cj = launchLogged('bench-assessment-upload', 'cj-integration', n, {
      ...common,
      CJ_PORT: String(cjPort),
      CJ_API_KEY: CJ_KEY,
      CJ_API_BASE_URL: `http://127.0.0.1:${apiPort}`,
      CJ_KAFKA_GROUP_ID: `bench-upload-${run}`,
    });
    apps.push(cj);
    for (const p of [apiPort, workerPort, cjPort])
      await waitHealthy(`http://127.0.0.1:${p}/health/live`, 180_000);
    const baseline = await usedMemory(redis);
    let redisPeak = baseline.used;
    const sampler = setInterval(() => {
      void usedMemory(redis).then((m) => (redisPeak = Math.max(redisPeak, m.used, m.peak)));
    }, 500);

    const call = (method: string, url: string, body?: unknown) => apiCall(USER_KEY, method, url, body);
    const base = `http://127.0.0.1:${apiPort}/api/v1/assessments/uploads`;
    const id = `bench-upload-${run}`;
    try {
      // The client's side: open → pages of essays → seal, as a school board would send a national round.
      const uploadStart = performance.now();
      const opened = await call('POST', base, {
        assessment_id: id,
        assignment: 'Write a persuasive essay on whether homework should be abolished.',
        criteria: 'Reward a clear thesis, structure, evidence, engagement with objections and a conclusion.',
        llm_config: { provider_override: 'mock' },
        comparisons_per_essay: K,
        seed: 7,
      });
      const uploadId = String(opened.upload_id);
      let parts = 0;
      let uploadBytes = 0;
      for (const page of pages(n)) {
        parts += 1;
        const body = { essays: page };
        uploadBytes += Buffer.byteLength(JSON.stringify(body));
        await call('PUT', `${base}/${uploadId}/parts/${parts}`, body);
      }
      const partsDone = performance.now();
      const redisAfterUpload = (await usedMemory(redis)).used - baseline.used;
      const sealed = await call('POST', `${base}/${uploadId}/seal`);
      const sealedAt = performance.now();
      const apiPeakAtSeal = memoryOf(api.pid!).peak;
      const comparisons = Number((sealed.quote as { comparisons: number }).comparisons);
      process.stderr.write(
        `bench assessment-upload: uploaded ${parts} parts (${(uploadBytes / MB).toFixed(1)} MiB) and sealed in ` +
          `${((sealedAt - uploadStart) / 1000).toFixed(1)} s; api peak RSS so far ${(apiPeakAtSeal / MB).toFixed(0)} MiB\n`,
      );

      // Done when the REST status is terminal; the outcome decided (stored, 'finalizing') is timed too, because
      // publishing the outcome event is a separate step that can fail on its own (a record over the broker's limit).
      let status: { status: string; result?: { rankings: Array<{ essay_id: string; score: number }> } };
      let decided: { at: number; outcome: StoredOutcome } | null = null;
      const deadline = Date.now() + 60 * 60_000;
      for (;;) {
        status = (await call('GET', `http://127.0.0.1:${apiPort}/api/v1/assessments/${id}`)) as typeof status;
        if (status.status === 'completed' || status.status === 'failed') break;
        if (!decided) {
          const json = await redis.hget(assessmentKey(id), 'json');
          const record = json ? (JSON.parse(json) as { outcome?: StoredOutcome }) : null;
          if (record?.outcome) decided = { at: performance.now(), outcome: record.outcome };
        } else if (performance.now() - decided.at > STUCK_AFTER_MS) {
          process.stderr.write(
            `bench assessment-upload: outcome decided but still "${status.status}" after ${STUCK_AFTER_MS / 1000} s ` +
              `(see .run/bench-assessment-upload/cj-integration-${n}.log)\n`,
          );
          break;
        }
        if (Date.now() > deadline) throw new Error(`bench assessment-upload: ${id} still ${status.status}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      const endedAt = performance.now();
      if (status.status === 'failed') {
        throw new Error(`bench assessment-upload: ${id} failed: ${JSON.stringify(status).slice(0, 500)}`);
      }
      const json = await redis.hget(assessmentKey(id), 'json');
      const outcome = json ? (JSON.parse(json) as { outcome?: unknown }).outcome : undefined;
      const rankings = status.result?.rankings ?? decided?.outcome.data.rankings ?? [];
      const rho = spearman(
        rankings.map((r) => r.score),
        rankings.map((r) => quality(Number(r.essay_id.slice(2)), n)),
      );
      const end = await usedMemory(redis);
      return {
        essays: n,
        comparisons,
        parts,
        uploadBytes,
        uploadMs: sealedAt - uploadStart,
        sealMs: sealedAt - partsDone,
        sealToDecidedMs: (decided?.at ?? endedAt) - sealedAt,
        sealToCompletedMs: status.status === 'completed' ? endedAt - sealedAt : null,
        outcomeEventBytes: outcome ? Buffer.byteLength(JSON.stringify(outcome)) : 0,
        rho,
        apiPeakAtSeal,
        apiPeakRss: memoryOf(api.pid!).peak,
        workerPeakRss: memoryOf(worker.pid!).peak,
        cjPeakRss: memoryOf(cj.pid!).peak,
        redisAfterUpload,
        redisGrowthPeak: Math.max(redisPeak, end.peak) - baseline.used,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    for (const app of apps.reverse()) await stopApp(app);
    await redis.quit();
    await redisServer.stop();
    const admin = new Kafka({ clientId: 'bench-upload-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}

const benchmark: Benchmark = {
  name: 'assessment-upload',
  needsServices: true,
  async run(): Promise<BenchRow[]> {
    const n = essaysFromArgs();
    compileApps('assessment-upload', ['api', 'batch-worker', 'cj-integration']);
    const rows: BenchRow[] = [];
    const load = (when: string) =>
      rows.push({
        benchmark: 'assessment-upload',
        case: when,
        metric: 'load average (1 min) on this machine',
        value: loadavg()[0],
        unit: '',
      });
    load('before');
    process.stderr.write(`bench assessment-upload: ${n.toLocaleString('en')} essays\n`);
    const f = await runRound(n);
    const name = `${f.essays.toLocaleString('en')} essays × ${ESSAY_CHARS} chars, k=${K} (${f.comparisons.toLocaleString('en')} comparisons)`;
    const row = (metric: string, value: number, unit: string) =>
      rows.push({ benchmark: 'assessment-upload', case: name, metric, value, unit });
    row(`upload: create → ${f.parts} parts → seal answered`, f.uploadMs / 1000, 's');
    row('of which the seal', f.sealMs / 1000, 's');
    row('upload bytes sent', f.uploadBytes / MB, 'MiB');
    row('seal → outcome decided (all comparisons judged, scored)', f.sealToDecidedMs / 1000, 's');
    if (f.sealToCompletedMs !== null)
      row('seal → assessment completed (Mock)', f.sealToCompletedMs / 1000, 's');
    row(
      'completed over REST (1) / outcome decided but its event never published (0)',
      f.sealToCompletedMs === null ? 0 : 1,
      '',
    );
    row('outcome as stored (CJAssessmentCompletedV1 with every ranking)', f.outcomeEventBytes / MB, 'MiB');
    row("Spearman vs the Mock's hidden quality", f.rho, '');
    row('api peak RSS (VmHWM) when the seal answered', f.apiPeakAtSeal / MB, 'MiB');
    row(
      "api peak RSS (VmHWM), whole run (also takes cj-integration's batch upload)",
      f.apiPeakRss / MB,
      'MiB',
    );
    row('batch-worker peak RSS (VmHWM)', f.workerPeakRss / MB, 'MiB');
    row('cj-integration peak RSS (VmHWM)', f.cjPeakRss / MB, 'MiB');
    row('Redis used_memory growth after the parts', f.redisAfterUpload / MB, 'MiB');
    row('Redis used_memory growth, peak', f.redisGrowthPeak / MB, 'MiB');
    load('after');
    return rows;
  },
};

export default benchmark;
