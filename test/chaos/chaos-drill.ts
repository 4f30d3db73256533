// The chaos drill (issue 11): a stream of assessments (Kafka → cj-integration → api → workers → OpenAI fake) and
// direct batches (HTTP → api → workers → Anthropic fake) while random processes are SIGKILLed and restarted and the
// fakes inject faults. Everything runs on loopback against a THROWAWAY Redis (AOF) and a THROWAWAY Kafka broker,
// never the shared ones. Afterwards every assessment must have ended, every comparison have exactly one stored
// result, no provider part exist twice or be left running/orphaned, and every event id have arrived.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { allTopics, createEnvelope, EVENT_TYPES, topicNames, type EventEnvelope } from '#contracts';
// The fakes' own files: the testing index also pulls in the jest contract suite.
import { AnthropicFakeServer } from '../../libs/llm-providers/testing/anthropic-fake-server.js';
import { OpenAIFakeServer } from '../../libs/llm-providers/testing/openai-fake-server.js';
import { ensureTopics } from '../../libs/infra/src/kafka/kafka-admin.js';
import { freePort, ThrowawayKafka, ThrowawayRedis } from '../support/throwaway-services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API_KEY = 'chaos-drill-key-0123456789';
const PREFIX = 'chaos';
const KEY_PREFIX = 'chaos';

export interface ChaosOptions {
  seed: number;
  assessments: number;
  essaysPerAssessment: number;
  batches: number;
  comparisonsPerBatch: number;
  /** SIGKILLs in total, spread over the stream. */
  kills: number;
  /** Wait between two kills (ms). */
  killEveryMs: number;
  /** Bound on the whole run after the faults stop (ms). */
  settleTimeoutMs: number;
  /** Include the Kafka broker among the processes that are killed (slow to restart). */
  killKafka: boolean;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  kills: Record<string, number>;
  faults: Record<string, number>;
  assessments: { requested: number; completed: number; failed: number; unfinished: number };
  batches: { submitted: number; terminal: number };
  duplicates: number;
  orphans: number;
  lost: number;
  problems: string[];
}

/** mulberry32: the drill's only randomness, so a seed replays the same kills and faults. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`chaos: timed out waiting for ${what}`);
    await sleep(250);
  }
}

type AppName = 'api' | 'worker-1' | 'worker-2' | 'cj-integration';

/** One built app as a child process (`node dist/apps/<app>/main.js`), restartable with the same env. */
class AppProcess {
  private child?: ChildProcess;
  private output = '';
  constructor(
    readonly name: AppName,
    private readonly entry: string,
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    const child = spawn(process.execPath, [this.entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  get logs(): string {
    return this.output;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export async function runChaosDrill(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`chaos: ${line}\n`));
  const random = seeded(options.seed);
  const report: ChaosReport = {
    seed: options.seed,
    kills: {},
    faults: {},
    assessments: { requested: options.assessments, completed: 0, failed: 0, unfinished: 0 },
    batches: { submitted: 0, terminal: 0 },
    duplicates: 0,
    orphans: 0,
    lost: 0,
    problems: [],
  };
  const count = (bucket: Record<string, number>, key: string) => (bucket[key] = (bucket[key] ?? 0) + 1);

  const openai = new OpenAIFakeServer({ pollsUntilEnded: 2 });
  const anthropic = new AnthropicFakeServer({ pollsUntilEnded: 2 });
  await openai.start();
  await anthropic.start();
  const redis = new ThrowawayRedis(await freePort(), { durable: true });
  const kafka = new ThrowawayKafka(await freePort());
  const apps: AppProcess[] = [];
  let admin: Redis | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  try {
    await redis.start();
    log(`throwaway redis (AOF) on ${redis.url}; starting a throwaway kafka broker on ${kafka.brokers}`);
    await kafka.start();
    const topics = topicNames(PREFIX);
    await ensureTopics([kafka.brokers], allTopics(PREFIX));

    const common = {
      REDIS_URL: redis.url,
      KAFKA_BROKERS: kafka.brokers,
      KAFKA_TOPIC_PREFIX: PREFIX,
      REDIS_KEY_PREFIX: KEY_PREFIX,
      LLM_DEFAULT_PROVIDER: 'openai',
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_API_KEY: anthropic.apiKey,
      ANTHROPIC_BASE_URL: anthropic.url,
      LLM_RETRY_BASE_DELAY_MS: '50',
      LLM_RETRY_MAX_DELAY_MS: '500',
      LLM_BREAKER_FAILURES_TO_OPEN: '50',
      SHUTDOWN_TIMEOUT_MS: '3000',
    };
    const apiPort = await freePort();
    const workerEnv = {
      ...common,
      BATCH_POLL_INTERVAL_MS: '200',
      BATCH_POLL_MAX_INTERVAL_MS: '1000',
      JOB_LOCK_DURATION_MS: '3000',
      STEP_RETRY_BASE_MS: '100',
      STEP_RETRY_MAX_MS: '2000',
      STEP_SUBMIT_ATTEMPTS: '30',
      RATE_LIMIT_BACKOFF_MS: '500',
      RECONCILE_INTERVAL_MS: '2000',
      OUTBOX_POLL_MS: '50',
      OUTBOX_RETRY_MS: '300',
      METRICS_SAMPLE_MS: '1000',
    };
    const entry = (app: string) => `${ROOT}dist/apps/${app}/main.js`;
    apps.push(
      new AppProcess('api', entry('api'), {
        ...common,
        API_PORT: String(apiPort),
        API_KEYS: `cj-integration:${API_KEY}`,
        TENANT_CALLBACK_TOPICS: JSON.stringify({ 'cj-integration': [topics.cjComparisonResult] }),
      }),
      new AppProcess('worker-1', entry('batch-worker'), {
        ...workerEnv,
        WORKER_PORT: String(await freePort()),
      }),
      new AppProcess('worker-2', entry('batch-worker'), {
        ...workerEnv,
        WORKER_PORT: String(await freePort()),
      }),
      new AppProcess('cj-integration', entry('cj-integration'), {
        ...common,
        CJ_PORT: String(await freePort()),
        CJ_API_BASE_URL: `http://127.0.0.1:${apiPort}`,
        CJ_API_KEY: API_KEY,
        CJ_KAFKA_GROUP_ID: `chaos-cj-${options.seed}`,
        CJ_RESUME_INTERVAL_MS: '2000',
        CJ_API_BACKOFF_MS: '200',
        CJ_API_BACKOFF_MAX_MS: '2000',
        CJ_DEADLINE_CHECK_INTERVAL_MS: '1000',
        CJ_BATCH_RETRIES: '2',
      }),
    );
    for (const app of apps) app.start();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await until(
      'the api',
      async () => ((await fetch(`${apiUrl}/health/ready`)).ok ? true : undefined),
      90_000,
    );

    // Observers: every outcome event and every event on the results topic (event ids, per batch).
    const client = new Kafka({
      clientId: 'chaos-drill',
      brokers: [kafka.brokers],
      logLevel: logLevel.NOTHING,
    });
    producer = client.producer();
    await producer.connect();
    consumer = client.consumer({ groupId: `chaos-observer-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({
      topics: [topics.assessmentCompleted, topics.assessmentFailed, topics.comparisonResult],
      fromBeginning: true,
    });
    const outcomes = new Map<string, EventEnvelope>();
    const eventIds = new Map<string, Set<string>>();
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const envelope = JSON.parse(message.value.toString('utf8')) as EventEnvelope;
        const data = envelope.data as { assessment_id?: string; batch_id?: string };
        if (topic === topics.comparisonResult) {
          const key = message.key?.toString() ?? data.batch_id ?? '';
          if (!eventIds.has(key)) eventIds.set(key, new Set());
          eventIds.get(key)!.add(envelope.event_id);
        } else if (data.assessment_id) {
          outcomes.set(data.assessment_id, envelope);
        }
      },
    });

    // Faults at the providers, each drawn from the seed.
    const expiring = new Set<string>();
    const injectFault = () => {
      const roll = random();
      if (roll < 0.25) {
        anthropic.failNext(429, 1 + Math.floor(random() * 3), { 'retry-after': '1' });
        count(report.faults, 'anthropic 429 retry-after');
      } else if (roll < 0.5) {
        openai.failNext(500, 1 + Math.floor(random() * 3));
        count(report.faults, 'openai 500');
      } else if (roll < 0.75) {
        openai.loseNextCreateReply(1);
        count(report.faults, 'openai create reached, reply lost');
      } else {
        anthropic.failNext(500, 1 + Math.floor(random() * 2));
        count(report.faults, 'anthropic 500');
      }
    };

    // The stream: assessments over Kafka, direct batches over HTTP, interleaved with faults and kills.
    const assessmentIds = Array.from(
      { length: options.assessments },
      (_, i) => `chaos-${options.seed}-a${i}`,
    );
    const batchIds: string[] = [];
    const victims: Array<AppName | 'kafka' | 'redis'> = [
      'api',
      'worker-1',
      'worker-2',
      'cj-integration',
      'redis',
    ];
    if (options.killKafka) victims.push('kafka');
    const work: Array<() => Promise<void>> = [];
    assessmentIds.forEach((id, i) =>
      work.push(async () => {
        const essays = Array.from({ length: options.essaysPerAssessment }, (_, e) => ({
          essay_id: `e${e}`,
          text: `Essay ${e} of ${id}: ${'a considered argument with reasons and examples. '.repeat(20)}${
            i % 4 === 0 && e === 0 ? ' [[expire-me]]' : ''
          }`,
        }));
        if (i % 4 === 0) expiring.add(id);
        const envelope = createEnvelope({
          event_type: EVENT_TYPES.assessmentRequested,
          source_service: 'chaos-drill',
          correlation_id: `corr-${id}`,
          data: {
            assessment_id: id,
            essays,
            assignment: 'Argue for or against homework.',
            criteria: 'Clear position, reasons, examples.',
            llm_config: { provider_override: 'openai' },
            comparisons_per_essay: 4,
          },
        });
        await producer!.send({
          topic: topics.assessmentRequested,
          messages: [{ key: id, value: JSON.stringify(envelope) }],
        });
      }),
    );
    for (let b = 0; b < options.batches; b++) {
      work.push(async () => {
        const correlation = `chaos-${options.seed}-b${b}`;
        const body = {
          correlation_id: correlation,
          llm_config_overrides: { provider_override: 'anthropic' },
          comparisons: Array.from({ length: options.comparisonsPerBatch }, (_, c) => ({
            comparison_id: `${correlation}-c${c}`,
            user_prompt: 'Which essay argues its case better?',
            essay_a: `Essay A ${c} of ${correlation}: homework builds habits.`,
            essay_b: `Essay B ${c} of ${correlation}: homework crowds out play.`,
          })),
        };
        // The api may be down (killed): the client retries, as any caller would.
        const accepted = await until(
          `batch ${correlation} accepted`,
          async () => {
            const res = await fetch(`${apiUrl}/api/v1/comparison/batch`, {
              method: 'POST',
              headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            return res.status === 202 || res.status === 200
              ? ((await res.json()) as { batch_id: string })
              : undefined;
          },
          120_000,
        );
        batchIds.push(accepted.batch_id);
      });
    }
    openai.setItemBehaviour('[[expire-me]]', 'expire');

    // Interleave: shuffle the work (seeded) and run a kill or a fault between items.
    for (let i = work.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [work[i], work[j]] = [work[j], work[i]];
    }
    let kills = 0;
    const killOne = async () => {
      const victim = victims[Math.floor(random() * victims.length)];
      count(report.kills, victim);
      kills += 1;
      log(`SIGKILL ${victim} (${kills}/${options.kills})`);
      if (victim === 'redis') {
        await redis.kill();
        await sleep(300 + random() * 1_000);
        await redis.start();
      } else if (victim === 'kafka') {
        await kafka.kill();
        await sleep(500 + random() * 1_000);
        await kafka.start();
      } else {
        const app = apps.find((a) => a.name === victim)!;
        await app.kill();
        await sleep(200 + random() * 1_000);
        app.start();
      }
    };
    const submissions = Promise.all(work.map((item, i) => sleep(i * 150).then(item)));
    while (kills < options.kills) {
      await sleep(options.killEveryMs * (0.5 + random()));
      injectFault();
      await killOne();
    }
    await submissions;
    report.batches.submitted = batchIds.length;
    log('faults stopped; waiting for every assessment and batch to end');

    // Settle: every assessment has an outcome event; every direct batch is terminal.
    admin = new Redis(redis.url, { maxRetriesPerRequest: null });
    const terminal = new Set(['completed', 'failed', 'canceled', 'expired']);
    await until(
      'every assessment outcome and terminal batch',
      async () => {
        if (assessmentIds.some((id) => !outcomes.has(id))) return undefined;
        for (const id of batchIds) {
          const status = await admin!.hget(`${KEY_PREFIX}:batch:{${id}}`, 'status');
          if (!status || !terminal.has(status)) return undefined;
        }
        return true;
      },
      options.settleTimeoutMs,
    ).catch((err: Error) => report.problems.push(err.message));

    for (const id of assessmentIds) {
      const outcome = outcomes.get(id);
      if (!outcome) report.assessments.unfinished += 1;
      else if (outcome.event_type === EVENT_TYPES.assessmentCompleted) report.assessments.completed += 1;
      else report.assessments.failed += 1;
    }

    // Every batch the api stored (direct and the assessments'): exactly one result per comparison, all events.
    const recordKeys = (await admin.keys(`${KEY_PREFIX}:batch:{*}`)).filter((k) => k.endsWith('}'));
    const referenced = new Set<string>();
    for (const key of recordKeys) {
      const fields = await admin.hgetall(key);
      const record = JSON.parse(fields.record) as {
        batch_id: string;
        comparison_count: number;
        callback_topic: string;
        submitted_at?: string;
        provider_ref?: { parts: Array<{ provider_batch_id: string }> };
        retired_provider_batch_ids?: string[];
      };
      for (const part of record.provider_ref?.parts ?? []) referenced.add(part.provider_batch_id);
      // Parts the batch let go of on purpose (expired and resubmitted, refused for quota) stay on its record.
      for (const id of record.retired_provider_batch_ids ?? []) referenced.add(id);
      if (!terminal.has(fields.status)) {
        report.problems.push(`batch ${record.batch_id} still ${fields.status}`);
        continue;
      }
      report.batches.terminal += 1;
      const stored = await admin.hlen(`${KEY_PREFIX}:batch:{${record.batch_id}}:results`);
      if (stored !== record.comparison_count) {
        report.lost += Math.max(0, record.comparison_count - stored);
        report.problems.push(`batch ${record.batch_id}: ${stored} results for ${record.comparison_count}`);
      }
      if (record.callback_topic === topics.comparisonResult) {
        const ids = eventIds.get(record.batch_id)?.size ?? 0;
        // one result per comparison + completed, + started when it reached the provider
        const expected = record.comparison_count + 1 + (record.submitted_at ? 1 : 0);
        if (ids < expected) {
          report.lost += expected - ids;
          report.problems.push(`batch ${record.batch_id}: ${ids} of ${expected} event ids arrived`);
        }
      }
    }

    // Provider side: a part created twice (same batch and part index), or created and never recorded/collected.
    const openaiParts = openai.submittedBatches();
    const keyOf = (m: Record<string, unknown> | null) => `${String(m?.batch_key)}#${String(m?.part_index)}`;
    const seenParts = new Map<string, number>();
    for (const b of openaiParts)
      seenParts.set(keyOf(b.metadata), (seenParts.get(keyOf(b.metadata)) ?? 0) + 1);
    report.duplicates += [...seenParts.values()].filter((n) => n > 1).reduce((n, c) => n + c - 1, 0);
    const anthropicParts = anthropic.submittedBatches();
    // Anthropic batches carry no tag of ours: the same comparisons (texts are unique per batch) twice is a duplicate.
    const byContent = new Map<string, number>();
    for (const b of anthropicParts) {
      const content = JSON.stringify(b.requests.map((r) => r.params.messages));
      byContent.set(content, (byContent.get(content) ?? 0) + 1);
    }
    report.duplicates += [...byContent.values()].filter((n) => n > 1).reduce((n, c) => n + c - 1, 0);
    // Still running at OpenAI after everything ended (the list does not advance a batch, unlike a retrieve).
    const listed = (await (
      await fetch(`${openai.url}/v1/batches?limit=100`, {
        headers: { authorization: `Bearer ${openai.apiKey}` },
      })
    ).json()) as { data: Array<{ id: string; status: string }> };
    const running = listed.data.filter((b) =>
      ['validating', 'in_progress', 'finalizing', 'cancelling'].includes(b.status),
    );
    report.orphans += running.length;
    if (running.length > 0) report.problems.push(`${running.length} OpenAI batch(es) still running`);
    report.orphans += [...openaiParts, ...anthropicParts].filter((b) => !referenced.has(b.id)).length;
    if (report.duplicates > 0) report.problems.push(`${report.duplicates} provider part(s) created twice`);
    if (report.orphans > 0)
      report.problems.push(`${report.orphans} provider part(s) not referenced by any batch`);
    if (report.assessments.unfinished > 0) {
      report.problems.push(`${report.assessments.unfinished} assessment(s) never ended`);
      report.lost += report.assessments.unfinished;
    }
    return report;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.quit().catch(() => undefined);
    await Promise.allSettled(apps.map((a) => a.kill('SIGTERM')));
    await kafka.destroy().catch(() => undefined);
    await redis.destroy();
    await openai.stop();
    await anthropic.stop();
  }
}

/** The report as the table the issue asks for. */
export function chaosTable(report: ChaosReport): string {
  const rows: Array<[string, string]> = [['seed', String(report.seed)]];
  for (const [name, n] of Object.entries(report.kills).sort()) rows.push([`kills: ${name}`, String(n)]);
  for (const [name, n] of Object.entries(report.faults).sort()) rows.push([`faults: ${name}`, String(n)]);
  const a = report.assessments;
  rows.push(
    ['assessments requested', String(a.requested)],
    ['assessments completed / failed (with reason)', `${a.completed} / ${a.failed}`],
    [
      'direct batches submitted / batches terminal',
      `${report.batches.submitted} / ${report.batches.terminal}`,
    ],
    ['duplicates (must be 0)', String(report.duplicates)],
    ['orphans (must be 0)', String(report.orphans)],
    ['lost (must be 0)', String(report.lost)],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `| ${'what'.padEnd(width)} | value |`,
    `|${'-'.repeat(width + 2)}|-------|`,
    ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`),
  ].join('\n');
}
