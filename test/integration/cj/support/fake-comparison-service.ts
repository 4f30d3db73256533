import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import {
  createEnvelope,
  EVENT_TYPES,
  stableEventId,
  type ComparisonRequest,
  type LLMBatchCompletedV1,
  type LLMComparisonResultV1,
  type LlmConfigOverrides,
} from '#contracts';
import { judgeMock } from '#llm-providers';
import { Mulberry32Shuffle } from './seeded-shuffle.js';

export interface ReceivedBatch {
  batch_id: string;
  correlation_id: string;
  callback_topic: string;
  llm_config_overrides: LlmConfigOverrides;
  comparisons: Array<ComparisonRequest & { metadata: Record<string, unknown> }>;
}

export interface FakeBehaviour {
  /** The next N batches end 'failed' (every item an error). */
  failBatches: number;
  /** Pair indexes whose item fails the first time it is judged. */
  itemErrorsOnce: Set<number>;
  /** Publish the results in a seeded random order (LLMBatchCompletedV1 still last). */
  shuffleSeed: number | null;
  /** Publish every result event twice (at-least-once delivery). */
  duplicateResults: boolean;
  /** Model reported in results when the request names none: the "service default", which a test may change. */
  defaultModel: string;
  /** Seed the Mock judge's coin with the pair index instead of the comparison id (same judgements across assessments). */
  judgeByPairIndex: boolean;
  /** Called after a batch's events were published. */
  afterBatch?: (batch: ReceivedBatch) => void;
}

/**
 * A stand-in for the comparison service (apps/api + apps/batch-worker + Mock provider) with the same wire
 * behaviour: `POST /api/v1/comparison/batch` (Bearer auth, idempotent on correlation_id, 202 {batch_id}), then
 * one LLMComparisonResultV1 per item and LLMBatchCompletedV1 on the batch's callback topic, keyed by batch id,
 * judged by the Mock provider's judge so hidden `[[quality:x]]` markers decide. It can fail batches and items,
 * shuffle and duplicate events: the cases the CJ service must survive.
 */
export class FakeComparisonService {
  readonly batches: ReceivedBatch[] = [];
  readonly behaviour: FakeBehaviour = {
    failBatches: 0,
    itemErrorsOnce: new Set(),
    shuffleSeed: null,
    duplicateResults: false,
    defaultModel: 'mock-judge-1',
    judgeByPairIndex: false,
  };
  private readonly failedItems = new Set<number>();
  private readonly byCorrelation = new Map<string, ReceivedBatch>();
  private server?: Server;
  private producer?: Producer;
  private publishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly brokers: string[],
    private readonly apiKey: string,
  ) {}

  async start(): Promise<string> {
    this.producer = new Kafka({
      clientId: 'fake-comparison-service',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
    }).producer();
    await this.producer.connect();
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await this.publishing;
    await new Promise((resolve) => this.server?.close(resolve));
    await this.producer?.disconnect();
  }

  batchesFor(assessmentId: string): ReceivedBatch[] {
    return this.batches.filter((b) => b.comparisons[0]?.metadata.assessment_id === assessmentId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.headers.authorization !== `Bearer ${this.apiKey}`)
      return reply(res, 401, { error_code: 'AUTHENTICATION_ERROR' });
    if (req.method === 'POST' && /\/cancel$/.test(req.url ?? '')) return reply(res, 202, {});
    if (req.method !== 'POST' || req.url !== '/api/v1/comparison/batch') return reply(res, 404, {});
    const body = inlineForm(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody);
    const existing = this.byCorrelation.get(body.correlation_id);
    if (existing) return reply(res, 202, { batch_id: existing.batch_id, status: 'queued' });
    const batch: ReceivedBatch = { ...body, batch_id: `fake-batch-${this.batches.length + 1}` };
    this.batches.push(batch);
    this.byCorrelation.set(batch.correlation_id, batch);
    reply(res, 202, {
      batch_id: batch.batch_id,
      status: 'queued',
      comparison_count: batch.comparisons.length,
    });
    this.publishing = this.publishing.then(() => this.judgeAndPublish(batch));
  }

  private async judgeAndPublish(batch: ReceivedBatch): Promise<void> {
    const failWhole = this.behaviour.failBatches > 0;
    if (failWhole) this.behaviour.failBatches--;
    const model = batch.llm_config_overrides.model_override ?? this.behaviour.defaultModel;
    const results = batch.comparisons.map((item) => this.result(batch, item, model, failWhole));
    let order = results.map((_, i) => i);
    if (this.behaviour.shuffleSeed !== null)
      order = new Mulberry32Shuffle(this.behaviour.shuffleSeed).shuffle(order);
    const messages = order.flatMap((i) => {
      const message = {
        key: batch.batch_id,
        value: JSON.stringify(
          createEnvelope({
            event_type: EVENT_TYPES.comparisonResult,
            event_id: stableEventId(
              batch.batch_id,
              batch.comparisons[i].comparison_id,
              EVENT_TYPES.comparisonResult,
            ),
            source_service: 'llm-batch-service',
            correlation_id: batch.correlation_id,
            data: results[i],
          }),
        ),
      };
      return this.behaviour.duplicateResults ? [message, message] : [message];
    });
    const succeeded = results.filter((r) => r.winner).length;
    const completed: LLMBatchCompletedV1 = {
      batch_id: batch.batch_id,
      assessment_id: String(batch.comparisons[0]?.metadata.assessment_id ?? ''),
      successful_comparisons: succeeded,
      failed_comparisons: results.length - succeeded,
      total_processing_time_ms: 1,
      correlation_id: batch.correlation_id,
      status: failWhole ? 'failed' : 'completed',
      provider: 'mock',
      model,
      cost_usd: results.reduce((s, r) => s + (r.cost_estimate ?? 0), 0),
      individual_cost_usd: 2 * results.reduce((s, r) => s + (r.cost_estimate ?? 0), 0),
    };
    messages.push({
      key: batch.batch_id,
      value: JSON.stringify(
        createEnvelope({
          event_type: EVENT_TYPES.batchCompleted,
          event_id: stableEventId(batch.batch_id, EVENT_TYPES.batchCompleted),
          source_service: 'llm-batch-service',
          correlation_id: batch.correlation_id,
          data: completed,
        }),
      ),
    });
    await this.producer!.send({ topic: batch.callback_topic, messages });
    this.behaviour.afterBatch?.(batch);
  }

  private result(
    batch: ReceivedBatch,
    item: ReceivedBatch['comparisons'][number],
    model: string,
    failWhole: boolean,
  ): LLMComparisonResultV1 {
    const pairIndex = Number(item.metadata.pair_index);
    const failItem = this.behaviour.itemErrorsOnce.has(pairIndex) && !this.failedItems.has(pairIndex);
    if (failItem) this.failedItems.add(pairIndex);
    const now = new Date().toISOString();
    const common = {
      request_id: item.comparison_id,
      correlation_id: batch.correlation_id,
      provider: 'mock' as const,
      model,
      response_time_ms: 1,
      token_usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      cost_estimate: 0.001,
      requested_at: now,
      completed_at: now,
      request_metadata: item.metadata,
      batch_id: batch.batch_id,
      comparison_id: item.comparison_id,
    };
    if (failWhole || failItem) {
      return {
        ...common,
        cost_estimate: 0,
        error_detail: {
          error_code: 'EXTERNAL_SERVICE_ERROR',
          message: failWhole ? 'batch failed' : 'item failed',
          correlation_id: batch.correlation_id,
          timestamp: now,
          service: 'fake-comparison-service',
          operation: 'batch',
        },
      };
    }
    const judgedItem = this.behaviour.judgeByPairIndex
      ? { ...item, comparison_id: `pair-${pairIndex}` }
      : item;
    const judged = judgeMock(judgedItem, 'system', { seed: 42, errorRate: 0, expiryRate: 0 });
    return { ...common, winner: judged.winner, justification: 'fake', confidence: judged.confidence };
  }
}

type RequestBody = Omit<ReceivedBatch, 'batch_id' | 'comparisons'> & {
  user_prompt?: string;
  essays?: Array<{ essay_id: string; text: string }>;
  comparisons: Array<Record<string, unknown> & { comparison_id: string; metadata: Record<string, unknown> }>;
};

/** Resolves the essay-referencing form (essays once, comparisons by id) as the real API stores it. */
function inlineForm(body: RequestBody): Omit<ReceivedBatch, 'batch_id'> {
  const { essays, user_prompt, ...rest } = body;
  if (!essays) return body as Omit<ReceivedBatch, 'batch_id'>;
  const texts = new Map(essays.map((e) => [e.essay_id, e.text]));
  return {
    ...rest,
    comparisons: body.comparisons.map((c) => ({
      comparison_id: c.comparison_id,
      user_prompt: user_prompt ?? '',
      essay_a: texts.get(String(c.essay_a_id)) ?? '',
      essay_b: texts.get(String(c.essay_b_id)) ?? '',
      metadata: c.metadata,
    })),
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
