import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import {
  allTopics,
  createEnvelope,
  EVENT_TYPES,
  stableEventId,
  topicNames,
  type CJAssessmentCompletedV1,
  type EventEnvelope,
  type LLMComparisonResultV1,
} from '#contracts';
import { spearman } from '#cj-scoring';
import { ensureTopics, parseBrokers } from '#infra';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { freePort, ThrowawayRedis } from '../../support/throwaway-services.js';
import { waitFor } from '../../support/wait-for.js';
import { appEntry, WorkerProcess } from './support/worker-process.js';

const ESSAYS = 2_000;
const K = 10;
const COMPARISONS = (ESSAYS * K) / 2;
const JUSTIFICATION_CHARS = 1_500;
const CONTRACT_JUSTIFICATION_CHARS = 500;
const PARTITIONS = 6;
const API_KEY = 'replicas-drill-cj-key-0123456789';

/**
 * Issue 8's several-replicas run: one 2,000-essay assessment (k = 10, 10,000 comparisons) whose Mock judge writes
 * 1,500-character justifications, through 2 api, 3 batch-worker and 2 cj-integration processes (the built apps),
 * every topic with 6 partitions. The api's body limit is 1 MB, so cj-integration must send the ~3 MB batch as a
 * multi-part upload. Afterwards: the assessment completed, the Mock (MOCK_AUDIT_FILE, appended by every worker)
 * judged each comparison exactly once, every event id of the batch arrived on the result topic, and the ranking
 * recovers the planted order.
 *
 * Redis is a throwaway instance (nothing to clean from the shared one); Kafka is the shared broker under a topic
 * prefix of this run, deleted afterwards.
 */
describe('several replicas: a 2,000-essay assessment through 2 api, 3 workers, 2 cj-integration processes', () => {
  const brokers = parseBrokers(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092');
  const prefix = `repl${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const topics = topicNames(prefix);
  const auditDir = mkdtempSync(join(tmpdir(), 'replicas-audit-'));
  const auditFile = join(auditDir, 'mock-judgements.log');
  const apps: Array<{ name: string; process: WorkerProcess }> = [];
  let redis: ThrowawayRedis;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  const outcomes = new Map<string, EventEnvelope>();
  /** batch id → event id → times seen (delivery is at-least-once; ids must be complete, repeats are allowed). */
  const events = new Map<string, Map<string, number>>();
  const justificationLengths = new Set<number>();
  let apiUrls: string[] = [];

  beforeAll(async () => {
    redis = new ThrowawayRedis(await freePort());
    await redis.start();
    await ensureTopics(brokers, allTopics(prefix), { partitions: PARTITIONS });

    const common = {
      REDIS_URL: redis.url,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      LLM_DEFAULT_PROVIDER: 'mock',
      MOCK_LATENCY_MS: '1000',
      MOCK_JUSTIFICATION_CHARS: String(JUSTIFICATION_CHARS),
      MOCK_AUDIT_FILE: auditFile,
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '5000',
      // The development machines are shared (load averages of 20+): a slow broker answer is not a dead one.
      HEALTH_CHECK_TIMEOUT_MS: '10000',
    };
    const apiPorts = [await freePort(), await freePort()];
    apiUrls = apiPorts.map((port) => `http://127.0.0.1:${port}`);
    const start = (name: string, app: Parameters<typeof appEntry>[0], env: Record<string, string>) =>
      apps.push({ name, process: WorkerProcess.start({ ...common, ...env }, appEntry(app)) });
    for (const [i, port] of apiPorts.entries()) {
      start(`api-${i + 1}`, 'api', {
        API_PORT: String(port),
        API_KEYS: `cj-integration:${API_KEY}`,
        TENANT_CALLBACK_TOPICS: JSON.stringify({ 'cj-integration': [topics.cjComparisonResult] }),
        // One body holds at most 1 MB: the assessment's batch (~3 MB) must come as an upload, in 512 KB parts.
        API_BODY_LIMIT: '1mb',
        UPLOAD_PART_MAX_BYTES: '512000',
      });
    }
    for (let i = 1; i <= 3; i++) {
      start(`worker-${i}`, 'batch-worker', {
        WORKER_PORT: String(await freePort()),
        BATCH_POLL_INTERVAL_MS: '500',
        BATCH_POLL_MAX_INTERVAL_MS: '1000',
        OUTBOX_POLL_MS: '50',
        METRICS_SAMPLE_MS: '1000',
      });
    }
    for (const [i, url] of apiUrls.entries()) {
      start(`cj-integration-${i + 1}`, 'cj-integration', {
        CJ_PORT: String(await freePort()),
        CJ_API_BASE_URL: url,
        CJ_API_KEY: API_KEY,
        CJ_KAFKA_GROUP_ID: `${prefix}-cj`,
        CJ_API_MAX_BODY_BYTES: '1000000',
      });
    }
    for (const [i, url] of apiUrls.entries()) {
      await waitFor(
        () =>
          fetch(`${url}/health/ready`).then(
            async (r) => ({ ok: r.ok, body: (await r.text()).slice(0, 500) }),
            (err: Error) => ({ ok: false, body: err.message }),
          ),
        (ready) => ready.ok || apps.some((a) => !a.process.alive),
        { timeoutMs: 150_000, intervalMs: 250, what: `${url} ready` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\napi-${i + 1} wrote:\n${apps[i].process.logs.slice(-3_000)}`);
      });
    }
    const dead = apps.find((a) => !a.process.alive);
    if (dead) throw new Error(`${dead.name} exited at start:\n${dead.process.logs}`);

    const kafka = new Kafka({ clientId: `${prefix}-test`, brokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({ groupId: `${prefix}-observer`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({
      topics: [topics.assessmentCompleted, topics.assessmentFailed, topics.cjComparisonResult],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const envelope = JSON.parse(message.value.toString('utf8')) as EventEnvelope;
        if (topic !== topics.cjComparisonResult) {
          outcomes.set((envelope.data as { assessment_id: string }).assessment_id, envelope);
          return;
        }
        const batchId = message.key?.toString() ?? '';
        const seen = events.get(batchId) ?? new Map<string, number>();
        events.set(batchId, seen);
        seen.set(envelope.event_id, (seen.get(envelope.event_id) ?? 0) + 1);
        if (envelope.event_type === EVENT_TYPES.comparisonResult) {
          justificationLengths.add((envelope.data as LLMComparisonResultV1).justification?.length ?? -1);
        }
      },
    });
  }, 240_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await Promise.all(apps.map((a) => a.process.stop()));
    await redis?.stop();
    rmSync(auditDir, { recursive: true, force: true });
    const admin = new Kafka({ clientId: `${prefix}-cleanup`, brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
    await admin.disconnect();
  }, 60_000);

  it('completes; each comparison judged once at the provider; every event id arrives; ranking recovered', async () => {
    const id = `${prefix}-national`;
    const essays = sampleEssays(ESSAYS);
    const envelope = createEnvelope({
      event_type: EVENT_TYPES.assessmentRequested,
      source_service: 'replicas-drill',
      correlation_id: `corr-${id}`,
      data: sampleRequest(id, essays, { comparisons_per_essay: K }),
    });
    const started = Date.now();
    await producer!.send({
      topic: topics.assessmentRequested,
      messages: [{ key: id, value: JSON.stringify(envelope) }],
    });

    const outcome = await waitFor(
      async () => outcomes.get(id),
      (found) => found !== undefined || apps.some((a) => !a.process.alive),
      { timeoutMs: 540_000, intervalMs: 250, what: `the outcome of ${id}` },
    );
    const dead = apps.find((a) => !a.process.alive);
    if (dead) throw new Error(`${dead.name} died:\n${dead.process.logs}`);
    const elapsed = Date.now() - started;
    expect(outcome?.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    const data = outcome!.data as CJAssessmentCompletedV1;
    expect(data).toMatchObject({ comparisons_requested: COMPARISONS, comparisons_succeeded: COMPARISONS });
    expect(data.batches).toHaveLength(1);
    const batchId = data.batches[0].batch_id;

    // The batch went through the multi-part upload (its id is the upload's).
    const upload = await fetch(`${apiUrls[0]}/api/v1/comparison/batch/uploads/${batchId}`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    }).then((r) => r.json() as Promise<{ status: string; parts: number }>);
    expect(upload.status).toBe('sealed');
    expect(upload.parts).toBeGreaterThan(1);

    // Judged exactly once at the provider: the Mock's audit lines of every worker process, per comparison id.
    const judged = new Map<string, number>();
    for (const line of readFileSync(auditFile, 'utf8').split('\n')) {
      if (!line) continue;
      const comparisonId = line.split('\t')[2];
      judged.set(comparisonId, (judged.get(comparisonId) ?? 0) + 1);
    }
    const expectedIds = Array.from({ length: COMPARISONS }, (_, i) => `${id}-p${i}`);
    expect(judged.size).toBe(COMPARISONS);
    expect(expectedIds.filter((c) => judged.get(c) !== 1)).toEqual([]);

    // Every event id of the batch arrived (started, one result per comparison, completed).
    const expectedEvents = [
      stableEventId(batchId, EVENT_TYPES.batchRequestStarted),
      ...expectedIds.map((c) => stableEventId(batchId, c, EVENT_TYPES.comparisonResult)),
      stableEventId(batchId, EVENT_TYPES.batchCompleted),
    ];
    const arrived = await waitFor(
      async () => events.get(batchId) ?? new Map<string, number>(),
      (seen) => expectedEvents.every((e) => seen.has(e)),
      { timeoutMs: 30_000, intervalMs: 250, what: 'every event id of the batch' },
    ).catch(() => events.get(batchId) ?? new Map<string, number>());
    expect(expectedEvents.filter((e) => !arrived.has(e))).toEqual([]);
    expect(arrived.size).toBe(expectedEvents.length);
    // The Mock wrote 1,500 characters; the result contract (shared/reference/contracts.md: justification ≤ 500
    // characters) caps what is stored and published, so every event carries exactly that cap.
    expect([...justificationLengths]).toEqual([CONTRACT_JUSTIFICATION_CHARS]);

    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rho = spearman(
      data.rankings.map((r) => r.score),
      data.rankings.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.9);
    process.stderr.write(
      `replicas drill: ${COMPARISONS} comparisons, request → outcome ${elapsed} ms, ` +
        `${upload.parts} upload parts, ${arrived.size} event ids (${[...arrived.values()].reduce((a, b) => a + b, 0)} ` +
        `deliveries), Spearman ${rho.toFixed(3)}\n`,
    );
  }, 600_000);
});
