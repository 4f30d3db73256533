import { Logger } from '@nestjs/common';
import { EVENT_TYPES, type CJAssessmentCompletedV1, type CJAssessmentFailedV1 } from '#contracts';
import { FakeComparisonApi } from '../../testing/fakes.js';
import {
  batchCompleted,
  cjTestGraph,
  deliverBatch,
  essaysRequest,
  requestEnvelope,
  resultEvent,
} from '../../testing/cj-test-graph.js';
import { ComparisonApiError } from '../comparison-api/comparison-api.error.js';

Logger.overrideLogger(false);

type Graph = ReturnType<typeof cjTestGraph>;
const outcomes = (graph: Graph) => graph.kafka.envelopes();
const completed = (graph: Graph) => outcomes(graph)[0].data as CJAssessmentCompletedV1;
const failed = (graph: Graph) => outcomes(graph)[0].data as CJAssessmentFailedV1;

describe('assessment flow (services with in-memory fakes)', () => {
  it('submits every pair in ONE batch with the shared prompt apart from the essays, and one pinned config', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a1', 6)));

    expect(graph.api.submissions).toHaveLength(1);
    const [batch] = graph.api.submissions;
    expect(batch.comparisons).toHaveLength(12); // 6 essays x k=4 / 2
    expect(batch.correlation_id).toBe('cj-a1-main-1');
    expect(batch.callback_topic).toBe('unit.callback.v1');
    expect(batch.llm_config_overrides).toEqual({
      provider_override: 'mock',
      temperature_override: 0,
      max_tokens_override: 512,
    });
    // The essay-referencing form: the shared prompt once, each essay once, comparisons by essay id.
    expect(batch.user_prompt).toContain('Argue for or against homework.');
    expect(batch.user_prompt).not.toContain('Essay text');
    expect(batch.essays.map((e) => e.essay_id).sort()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(batch.essays.find((e) => e.essay_id === 'e3')?.text).toBe('Essay text 3');
    expect(batch.comparisons.map((c) => c.metadata.pair_index)).toEqual([...Array(12).keys()]);
    expect(batch.comparisons[0].essay_a_id).toBe(batch.comparisons[0].metadata.essay_a_id);
    expect(batch.comparisons[0].metadata).toEqual({
      assessment_id: 'a1',
      pair_index: 0,
      essay_a_id: expect.any(String),
      essay_b_id: expect.any(String),
      cj_attempt: 'cj-a1-main-1',
    });
  });

  it('takes essays by reference (essays_ref, stored by the api): same assessment as inline, store copy dropped', async () => {
    const inline = cjTestGraph();
    await inline.intake.onRequested(requestEnvelope(essaysRequest('ref1', 6)));
    const graph = cjTestGraph();
    const { essays, ...rest } = essaysRequest('ref1', 6);
    const ref = await graph.submissions.storeRequestEssays('ref1', essays);
    const envelope = requestEnvelope({ ...rest, essays: [], essays_ref: ref });
    expect(await graph.intake.onRequested(envelope)).toBe('started');
    expect(graph.api.submissions).toEqual(inline.api.submissions);
    expect((await graph.repository.get('ref1'))?.request_hash).toBe(
      (await inline.repository.get('ref1'))?.request_hash,
    );
    expect(graph.submissions.requestEssays.has('ref1')).toBe(false);
    // A redelivery after the store copy was taken over is a duplicate, not a refusal.
    expect(await graph.intake.onRequested(envelope)).toBe('duplicate');
    expect(outcomes(graph)).toEqual([]);
  });

  it('refuses a reference to essays that are not stored or do not match, naming essays_ref', async () => {
    const graph = cjTestGraph();
    const { essays, ...rest } = essaysRequest('ref2', 4);
    const missing = { store: 'assessment-store', count: 4, sha256: 'ab'.repeat(32) };
    expect(
      await graph.intake.onRequested(requestEnvelope({ ...rest, essays: [], essays_ref: missing })),
    ).toBe('refused');
    const stored = await graph.submissions.storeRequestEssays('ref2', essays);
    const wrong = { ...stored, count: 3 };
    expect(await graph.intake.onRequested(requestEnvelope({ ...rest, essays: [], essays_ref: wrong }))).toBe(
      'refused',
    );
    const refusals = outcomes(graph).map((e) => e.data as CJAssessmentFailedV1);
    expect(refusals.map((r) => r.reason_code)).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST']);
    expect(refusals.map((r) => (r.details as { problems: string[] }).problems[0])).toEqual([
      'essays_ref: no stored essays (expired or never stored)',
      'essays_ref: the stored essays do not match the reference',
    ]);
    expect(graph.api.submissions).toHaveLength(0);
  });

  it('refuses a malformed reference to an uploaded assessment (upload_id without a string id and a part count)', async () => {
    const graph = cjTestGraph();
    const { essays: _essays, ...rest } = essaysRequest('ref3', 4);
    const ref = { store: 'assessment-store', count: 4, sha256: 'ab'.repeat(32) };
    for (const bad of [
      { ...ref, upload_id: 7, parts: 1 },
      { ...ref, upload_id: 'u-1' },
    ]) {
      expect(await graph.intake.onRequested(requestEnvelope({ ...rest, essays: [], essays_ref: bad }))).toBe(
        'refused',
      );
    }
    const problems = outcomes(graph).map(
      (e) => ((e.data as CJAssessmentFailedV1).details as { problems: string[] }).problems[0],
    );
    expect(problems).toEqual([
      'essays_ref: not a reference to stored essays',
      'essays_ref: not a reference to stored essays',
    ]);
  });

  it('publishes CJAssessmentCompletedV1 once every result is in, with the fields of the contract', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a2', 6)));
    await deliverBatch(graph, graph.api.submissions[0]);

    expect(outcomes(graph).map((e) => e.event_type)).toEqual([EVENT_TYPES.assessmentCompleted]);
    expect(graph.kafka.published[0]).toMatchObject({ topic: graph.topics.completed, key: 'a2' });
    const data = completed(graph);
    expect(data.rankings.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.rankings[0]).toEqual({
      essay_id: expect.any(String),
      score: expect.any(Number),
      se: expect.any(Number),
      rank: 1,
      wins: expect.any(Number),
      losses: expect.any(Number),
      comparisons: 4,
    });
    expect(data).toMatchObject({
      assessment_id: 'a2',
      provider: 'mock',
      model: 'mock-judge-1',
      comparisons_requested: 12,
      comparisons_succeeded: 12,
      comparisons_failed: 0,
      cost_usd: 0.12,
      individual_cost_usd: 0.24,
      savings_usd: 0.12,
      correlation_id: 'corr-1',
    });
    expect(data.ssr).not.toBeNull();
    expect(data.position_bias.total).toBe(12);
    expect(data.position_effect?.se).toBeGreaterThan(0);
    expect(graph.repository.retired.has('a2')).toBe(true);
    expect((await graph.repository.get('a2'))?.status).toBe('completed');
  });

  it('never starts a second assessment on redelivery, before or after the outcome', async () => {
    const graph = cjTestGraph();
    const envelope = requestEnvelope(essaysRequest('a3', 5));
    expect(await graph.intake.onRequested(envelope)).toBe('started');
    expect(await graph.intake.onRequested(envelope)).toBe('duplicate');
    await deliverBatch(graph, graph.api.submissions[0]);
    expect(await graph.intake.onRequested(envelope)).toBe('duplicate');
    expect(graph.api.submissions).toHaveLength(1);
    expect(outcomes(graph)).toHaveLength(1);
  });

  it('finishes an interrupted submission on redelivery with the same correlation id (same batch)', async () => {
    const graph = cjTestGraph();
    graph.api.failNext = [new Error('crash stand-in')]; // e.g. the process dying mid-call
    const envelope = requestEnvelope(essaysRequest('a4', 5));
    await expect(graph.intake.onRequested(envelope)).rejects.toThrow('crash stand-in');
    expect(await graph.intake.onRequested(envelope)).toBe('resumed');
    expect(graph.api.submissions.map((s) => s.correlation_id)).toEqual(['cj-a4-main-1']);
  });

  it('ignores duplicate result events and waits for results that arrive after LLMBatchCompletedV1', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a5', 5)));
    const batch = graph.api.submissions[0];
    const events = batch.comparisons.map((_, i) => resultEvent(batch, i));
    for (const e of events.slice(0, -1)) {
      await graph.collector.onComparisonResult(e.eventId, e.data);
      await graph.collector.onComparisonResult(e.eventId, e.data);
    }
    await graph.collector.onBatchCompleted(batchCompleted(batch, 'completed', events.length, 0));
    expect(outcomes(graph)).toHaveLength(0);

    const last = events.at(-1)!;
    await graph.collector.onComparisonResult(last.eventId, last.data);
    expect(outcomes(graph)).toHaveLength(1);
    expect(completed(graph).comparisons_succeeded).toBe(events.length);
    expect(completed(graph).rankings.reduce((n, r) => n + r.comparisons, 0)).toBe(2 * events.length);
  });

  it('retries a failed batch as a whole on the pinned provider/model, then fails with BATCH_FAILED', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a6', 5)));
    await deliverBatch(graph, graph.api.submissions[0], { status: 'failed' });
    expect(graph.api.submissions).toHaveLength(2);
    const [first, retry] = graph.api.submissions;
    expect(retry.correlation_id).toBe('cj-a6-main-2');
    expect(retry.comparisons).toEqual(
      first.comparisons.map((c) => ({ ...c, metadata: { ...c.metadata, cj_attempt: 'cj-a6-main-2' } })),
    );
    expect(retry.llm_config_overrides).toEqual({
      ...first.llm_config_overrides,
      model_override: 'mock-judge-1',
    });

    await deliverBatch(graph, retry, { status: 'expired' });
    expect(graph.api.submissions).toHaveLength(2);
    expect(failed(graph)).toMatchObject({
      reason_code: 'BATCH_FAILED',
      provider: 'mock',
      model: 'mock-judge-1',
      comparisons_succeeded: 0,
      batches: [
        { kind: 'main', attempt: 1, status: 'failed' },
        { kind: 'main', attempt: 2, status: 'expired' },
      ],
    });
  });

  it('with CJ_BATCH_RETRIES=0 a failed batch fails the assessment at once', async () => {
    const graph = cjTestGraph({ failurePolicy: { batchRetries: 0, minSuccessRate: 1 } });
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a7', 4)));
    await deliverBatch(graph, graph.api.submissions[0], { status: 'failed' });
    expect(graph.api.submissions).toHaveLength(1);
    expect(failed(graph).reason_code).toBe('BATCH_FAILED');
  });

  it('resubmits per-item errors once; still failing → INSUFFICIENT_COMPARISONS at the default minimum (all)', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a8', 6)));
    await deliverBatch(graph, graph.api.submissions[0], { errorsAt: new Set([1, 4]) });
    const followUp = graph.api.submissions[1];
    expect(followUp.correlation_id).toBe('cj-a8-followup-1');
    expect(followUp.comparisons.map((c) => c.metadata.pair_index)).toEqual([1, 4]);

    await deliverBatch(graph, followUp, { errorsAt: new Set([4]) });
    expect(graph.api.submissions).toHaveLength(2);
    expect(failed(graph)).toMatchObject({
      reason_code: 'INSUFFICIENT_COMPARISONS',
      comparisons_succeeded: 11,
      comparisons_failed: 1,
    });
  });

  it('completes below 100% when the configured minimum success rate allows it', async () => {
    const graph = cjTestGraph({ failurePolicy: { batchRetries: 1, minSuccessRate: 0.9 } });
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a9', 6)));
    await deliverBatch(graph, graph.api.submissions[0], { errorsAt: new Set([2]) });
    await deliverBatch(graph, graph.api.submissions[1], { errorsAt: new Set([2]) });
    expect(completed(graph)).toMatchObject({ comparisons_succeeded: 11, comparisons_failed: 1 });
    expect(completed(graph).batches.map((b) => b.kind)).toEqual(['main', 'follow_up']);
  });

  it('fails with CONFIG_MISMATCH when a result comes from another model than the assessment', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a10', 5)));
    const batch = graph.api.submissions[0];
    const first = resultEvent(batch, 0);
    const other = resultEvent(batch, 1, { model: 'other-model' });
    await graph.collector.onComparisonResult(first.eventId, first.data);
    await graph.collector.onComparisonResult(other.eventId, other.data);
    expect(failed(graph)).toMatchObject({
      reason_code: 'CONFIG_MISMATCH',
      details: { expected: { model: 'mock-judge-1' }, got: { model: 'other-model' } },
    });
  });

  it('publishes SUBMISSION_REFUSED for a 4xx and SUBMISSION_FAILED when the service stays unreachable', async () => {
    const refused = cjTestGraph();
    refused.api.failNext = [FakeComparisonApi.refusal(400)];
    await refused.intake.onRequested(requestEnvelope(essaysRequest('a11', 4)));
    expect(failed(refused)).toMatchObject({
      reason_code: 'SUBMISSION_REFUSED',
      details: { http_status: 400 },
    });

    const down = cjTestGraph();
    down.api.failNext = [new ComparisonApiError('CONNECTION_ERROR', 'ECONNREFUSED', null)];
    await down.intake.onRequested(requestEnvelope(essaysRequest('a12', 4)));
    expect(failed(down).reason_code).toBe('SUBMISSION_FAILED');
  });

  it('refuses invalid and mixed-config requests with a reason code and submits nothing', async () => {
    const graph = cjTestGraph();
    expect(await graph.intake.onRequested(requestEnvelope({ assessment_id: 'bad', essays: [] }))).toBe(
      'refused',
    );
    const mixed = essaysRequest('mixed', 4, {
      llm_config: { provider_override: 'mock', model_override: 'm1' },
      llm_config_overrides: { provider_override: 'anthropic', model_override: 'm1' },
    });
    expect(await graph.intake.onRequested(requestEnvelope(mixed))).toBe('refused');
    expect(graph.api.submissions).toHaveLength(0);
    expect(outcomes(graph).map((e) => (e.data as CJAssessmentFailedV1).reason_code)).toEqual([
      'INVALID_REQUEST',
      'MIXED_LLM_CONFIG',
    ]);
    expect(graph.kafka.published.every((p) => p.topic === graph.topics.failed)).toBe(true);
  });

  it('refuses, before storing anything, an assessment whose batch the comparison service would refuse', async () => {
    const graph = cjTestGraph({
      requestDefaults: {
        ...cjTestGraph().settings.requestDefaults,
        maxComparisons: 20,
        maxPromptChars: 2000,
      },
    });
    // 12 essays at k = 4 is 24 comparisons: over the 20 the service takes in one batch.
    expect(await graph.intake.onRequested(requestEnvelope(essaysRequest('too-many', 12)))).toBe('refused');
    const tooLongPrompt = essaysRequest('long-prompt', 4, { criteria: 'c'.repeat(2100) });
    expect(await graph.intake.onRequested(requestEnvelope(tooLongPrompt))).toBe('refused');
    expect(graph.api.submissions).toHaveLength(0);
    expect(await graph.repository.get('too-many')).toBeNull();
    expect(await graph.repository.get('long-prompt')).toBeNull();
    const reasons = outcomes(graph).map((e) => e.data as CJAssessmentFailedV1);
    expect(reasons.map((r) => r.reason_code)).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST']);
    expect(JSON.stringify(reasons[0])).toContain('at most 20');
  });

  it('ignores a different request reusing a running assessment id (no second config mixed in)', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a13', 4)));
    const other = essaysRequest('a13', 4, {
      llm_config: { provider_override: 'mock', model_override: 'mock-judge-1' },
    });
    expect(await graph.intake.onRequested(requestEnvelope(other))).toBe('conflict');
    expect(graph.api.submissions).toHaveLength(1);
    expect(outcomes(graph)).toHaveLength(0);
  });

  it('fails overdue assessments with DEADLINE_EXCEEDED and cancels their running batch', async () => {
    const graph = cjTestGraph({ deadlineMs: 5_000 });
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a14', 4)));
    const deadline = (await graph.repository.get('a14'))!.deadline_at;

    expect(await graph.deadline.sweep(deadline - 1)).toEqual([]);
    expect(await graph.deadline.sweep(deadline)).toEqual(['a14']);
    expect(graph.api.cancelled).toEqual(['batch-1']);
    expect(failed(graph).reason_code).toBe('DEADLINE_EXCEEDED');

    // A deadline entry whose state has gone (retention) is dropped instead of looked up forever.
    graph.repository.deadlines.set('gone', 0);
    expect(await graph.deadline.sweep(deadline)).toEqual([]);
    expect(graph.repository.deadlines.has('gone')).toBe(false);

    // Results that come in after the deadline change nothing.
    await deliverBatch(graph, graph.api.submissions[0]);
    expect(outcomes(graph)).toHaveLength(1);
  });

  it('republishes a stored outcome with the same event id when publishing was interrupted', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a15', 4)));
    const publish = graph.kafka.publish.bind(graph.kafka);
    graph.kafka.publish = async () => {
      throw new Error('Kafka down');
    };
    const batch = graph.api.submissions[0];
    await expect(deliverBatch(graph, batch)).rejects.toThrow('Kafka down');
    expect((await graph.repository.get('a15'))?.status).toBe('finalizing');

    graph.kafka.publish = publish;
    await graph.collector.onBatchCompleted(batchCompleted(batch, 'completed', batch.comparisons.length, 0));
    await graph.intake.onRequested(requestEnvelope(essaysRequest('a15', 4)));
    const stored = (await graph.repository.get('a15'))!;
    expect(stored.status).toBe('completed');
    expect(outcomes(graph)).toHaveLength(1);
    expect(outcomes(graph)[0].event_id).toBe(stored.outcome?.event_id);
  });
});
