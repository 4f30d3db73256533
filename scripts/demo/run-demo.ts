// Demo driver: submits the bundled sample assessment as CJAssessmentRequestedV1 through Kafka, shows progress
// from the comparison result events, and prints the ranking when CJAssessmentCompletedV1 (or FailedV1) arrives.
// Started by scripts/demo.sh once the three apps are ready. Exit code 0 only for a completed assessment.
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import {
  createEnvelope,
  EVENT_TYPES,
  topicNames,
  type CJAssessmentCompletedV1,
  type CJAssessmentFailedV1,
  type EventEnvelope,
  type LLMComparisonResultV1,
} from '#contracts';
import { rankingTable, summarise, summaryLines } from './demo-report.js';
import { sampleEssays, sampleRequest } from './sample-essays.js';

const { values: args } = parseArgs({
  options: {
    essays: { type: 'string', default: '40' },
    k: { type: 'string', default: '10' },
    quiet: { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '300' },
    'metrics-url': { type: 'string' },
  },
});
const quiet = args.quiet;
const out = (line = '') => void (quiet || process.stdout.write(line + '\n'));
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topics = topicNames(process.env.KAFKA_TOPIC_PREFIX || undefined);
const callbackTopic = process.env.CJ_CALLBACK_TOPIC || topics.cjComparisonResult;

const essays = sampleEssays(Number(args.essays));
const assessmentId = `demo-${Date.now().toString(36)}`;
const request = sampleRequest(assessmentId, essays, { comparisons_per_essay: Number(args.k) });

const kafka = new Kafka({ clientId: 'cj-demo', brokers, logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: `cj-demo-${assessmentId}`, maxWaitTimeInMs: 200 });
const producer = kafka.producer();

let results = 0;
let expected = 0;
let lastShown = -1;
let outcome: EventEnvelope | undefined;

/** Consumes the result and outcome topics; resolves when this assessment's outcome event arrives. */
const awaitOutcome = () =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no outcome within ${args['timeout-s']} s`)),
      Number(args['timeout-s']) * 1000,
    );
    const onEvent = (envelope: EventEnvelope) => {
      const data = envelope.data as Record<string, unknown>;
      if (envelope.event_type === EVENT_TYPES.comparisonResult) {
        const meta = (data as unknown as LLMComparisonResultV1).request_metadata ?? {};
        if (meta.assessment_id !== assessmentId) return;
        results++;
        showProgress();
      } else if (
        envelope.event_type === EVENT_TYPES.batchRequestStarted &&
        data.assessment_id === assessmentId
      ) {
        expected = Number(data.comparison_count) || expected;
        out(
          `  batch ${String(data.batch_id)} submitted to ${String(data.provider)}: ${expected} comparisons`,
        );
      } else if (
        (envelope.event_type === EVENT_TYPES.assessmentCompleted ||
          envelope.event_type === EVENT_TYPES.assessmentFailed) &&
        data.assessment_id === assessmentId
      ) {
        outcome = envelope;
        clearTimeout(timer);
        resolve();
      }
    };
    void consumer
      .subscribe({
        topics: [callbackTopic, topics.assessmentCompleted, topics.assessmentFailed],
        fromBeginning: false,
      })
      .then(() =>
        consumer.run({
          eachMessage: async ({ message }) => {
            if (message.value) onEvent(JSON.parse(message.value.toString('utf8')) as EventEnvelope);
          },
        }),
      )
      .catch(reject);
  });

/** One updating line on a terminal; otherwise a line per quarter, so logs stay short. */
function showProgress(): void {
  if (quiet) return;
  const total = expected || results;
  const steps = process.stdout.isTTY ? 20 : 4;
  const step = Math.floor((results / Math.max(total, 1)) * steps);
  if (step === lastShown && results !== total) return;
  lastShown = step;
  const bar = `${'█'.repeat(Math.floor((results / Math.max(total, 1)) * 20))}`.padEnd(20, '░');
  const text = `  results ${bar} ${results}/${total}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${text}${results === total ? '\n' : ''}`);
  else out(text);
}

async function providerCalls(): Promise<number | null> {
  if (!args['metrics-url']) return null;
  try {
    const text = await (await fetch(args['metrics-url'])).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('llm_provider_http_calls_total'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  } catch {
    return null;
  }
}

/** Resolves once the consumer has joined and fetched, so no event published after this point is missed. */
function consumerReady(): Promise<void> {
  return new Promise((resolve) => {
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    consumer.on(consumer.events.FETCH, () => joined && resolve());
  });
}

const ready = consumerReady();
await consumer.connect();
await producer.connect();
const callsBefore = await providerCalls();
const outcomeReady = awaitOutcome();
outcomeReady.catch(() => undefined); // awaited below; avoids an unhandled rejection while waiting for the join
await Promise.race([ready, outcomeReady]);

out(
  `submitting assessment ${assessmentId}: ${essays.length} essays, ${request.comparisons_per_essay} comparisons each`,
);
const startedAt = Date.now();
const envelope = createEnvelope({
  event_type: EVENT_TYPES.assessmentRequested,
  source_service: 'cj-demo',
  correlation_id: assessmentId,
  data: request,
});
await producer.send({
  topic: topics.assessmentRequested,
  messages: [{ key: assessmentId, value: JSON.stringify(envelope) }],
});

let exitCode = 1;
try {
  await outcomeReady;
  const elapsed = Date.now() - startedAt;
  const callsAfter = await providerCalls();
  const calls = callsBefore !== null && callsAfter !== null ? callsAfter - callsBefore : null;
  if (outcome?.event_type === EVENT_TYPES.assessmentCompleted) {
    const data = outcome.data as CJAssessmentCompletedV1;
    const summary = summarise(data, essays, calls, elapsed);
    out();
    out(rankingTable(data, essays));
    out();
    for (const line of summaryLines(summary)) out(line);
    if (quiet) process.stdout.write(`DEMO_RESULT ${JSON.stringify(summary)}\n`);
    exitCode = 0;
  } else {
    const data = outcome?.data as CJAssessmentFailedV1;
    process.stderr.write(`assessment failed: ${data.reason_code}: ${data.message}\n`);
  }
} catch (err) {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
}
process.exit(exitCode);
