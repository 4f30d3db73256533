// Objects built once per result, record read or request, the way the hot paths build them, against the way they were
// built before, in the same run. On Node 20's V8 an object literal that starts with a spread (`{ ...base, field }`)
// gets a copy whose every added property takes a slow path (~2–3 µs each on the 2-core machine); Object.assign
// onto a fresh object does not. For a 10,000-result batch the worker's result mapping was its largest single cost.
// The libraries' decorated classes read metadata as they load; the apps' entry points import this first too.
import 'reflect-metadata';
import type { BatchRecord, StoredComparison } from '#batch-store';
import { successResult } from '#batch-store';
import type { LLMComparisonResultV1 } from '#contracts';
import type { ComparisonResponse } from '#llm-providers';
import type { Benchmark, BenchRow } from './bench.types.js';
import { median } from './support/http-bench.js';

const N = 10_000;
const REPEATS = 7;
const JUSTIFICATION =
  'Essay A states its thesis early and supports each claim with a cited example; Essay B repeats its point. ';

const record = {
  batch_id: 'bench-batch',
  tenant_id: 'bench',
  kind: 'batch',
  mode: 'batch',
  correlation_id: 'bench-correlation',
  priority: 5,
  comparison_count: N,
  created_at: new Date(0).toISOString(),
  status: 'in_progress',
  config: { provider: 'openai', model: 'gpt-5-mini' },
} as unknown as BatchRecord;

const requests: StoredComparison[] = Array.from({ length: N }, (_, i) => ({
  index: i,
  comparison_id: `c-${i}`,
  user_prompt: 'Compare the two essays on argument quality.',
  essay_a: 'A',
  essay_b: 'B',
  metadata: { assessment_id: 'bench', pair_index: i },
}));

const responses = requests.map(
  (r, i): ComparisonResponse =>
    ({
      comparison_id: r.comparison_id,
      answer: { winner: 'Essay A', justification: `${JUSTIFICATION.repeat(3)}${i}`, confidence: 4 },
      provider: 'openai',
      model: 'gpt-5-mini',
      served_model: 'gpt-5-mini-2025-08-07',
      response_time_ms: 0,
      usage: { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020 },
      cost: { cost_usd: 0.0004, individual_cost_usd: 0.0008 },
    }) as unknown as ComparisonResponse,
);

/** The result mapping as it was before: the common fields spread first, the answer's fields added after. */
function spreadSuccessResult(request: StoredComparison, response: ComparisonResponse, now: Date) {
  const common = {
    request_id: request.comparison_id,
    correlation_id: record.correlation_id,
    requested_at: record.created_at,
    request_metadata: request.metadata ?? {},
    batch_id: record.batch_id,
    comparison_id: request.comparison_id,
  };
  const result = {
    ...common,
    winner: response.answer.winner,
    justification: response.answer.justification.slice(0, 500),
    confidence: response.answer.confidence,
    provider: response.provider,
    model: response.model,
    served_model: response.served_model,
    response_time_ms: response.response_time_ms,
    token_usage: response.usage,
    cost_estimate: response.cost.cost_usd,
    completed_at: now.toISOString(),
  } as LLMComparisonResultV1;
  return { index: request.index, comparison_id: request.comparison_id, result };
}

/** Median ms of `fn` over REPEATS runs after two untimed ones (V8 compiles it first). */
function time(fn: () => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < REPEATS + 2; r += 1) {
    const started = performance.now();
    fn();
    if (r >= 2) runs.push(performance.now() - started);
  }
  return median(runs);
}

const benchmark: Benchmark = {
  name: 'hot-object-shapes',
  async run(): Promise<BenchRow[]> {
    const now = new Date();
    const sink: unknown[] = new Array(N);
    const rows: BenchRow[] = [];
    const pair = (c: string, current: number, before: number, beforeLabel: string) =>
      rows.push(
        { benchmark: 'hot-object-shapes', case: c, metric: 'time (before)', value: before, unit: 'ms' },
        {
          benchmark: 'hot-object-shapes',
          case: c,
          metric: 'time',
          value: current,
          unit: 'ms',
          ratio: { value: current / before, against: beforeLabel },
        },
      );

    const spread = time(() => {
      for (let i = 0; i < N; i += 1) sink[i] = spreadSuccessResult(requests[i], responses[i], now);
    });
    const mapped = time(() => {
      for (let i = 0; i < N; i += 1) sink[i] = successResult(record, requests[i], responses[i], now);
    });
    pair(
      `${N.toLocaleString('en')} results mapped (successResult)`,
      mapped,
      spread,
      'the same fields after a leading spread',
    );

    // The general shape: a record copied with four fields added, as the record reads and transitions do.
    const fields = { counts: { succeeded: 0, failed: 0, pending: 1 }, cost_usd: 0, icost: 0, cancel: false };
    const copiedSpread = time(() => {
      for (let i = 0; i < N; i += 1) sink[i] = { ...record, ...fields, n: i };
    });
    const copiedAssign = time(() => {
      for (let i = 0; i < N; i += 1) sink[i] = Object.assign({}, record, fields, { n: i });
    });
    pair(
      `${N.toLocaleString('en')} records copied with fields added`,
      copiedAssign,
      copiedSpread,
      '`{ ...record, ...fields }`',
    );
    return rows;
  },
};

export default benchmark;
