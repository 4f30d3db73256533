import { Logger } from '@nestjs/common';
import { EVENT_TYPES, type CJAssessmentCompletedV1 } from '#contracts';
import {
  batchCompleted,
  cjTestGraph,
  deliverBatch,
  essaysRequest,
  requestEnvelope,
  resultEvent,
} from '../../testing/cj-test-graph.js';
import { AttemptNotAcceptedYetError } from './result-admission.js';

Logger.overrideLogger(false);

type Graph = ReturnType<typeof cjTestGraph>;

async function rejections(graph: Graph): Promise<Record<string, number>> {
  const metric = await graph.metrics.rejectedResults.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels.event}/${v.labels.reason}`, v.value]));
}

/** Wins for the first-listed essay everywhere: the opposite of the honest judge on most pairs. */
function forged(graph: Graph, position: number, patch: Record<string, unknown>) {
  const { eventId, data } = resultEvent(graph.api.submissions[0], position);
  const flipped = data.winner === 'Essay A' ? 'Essay B' : 'Essay A';
  return { eventId: `forged-${eventId}`, data: { ...data, winner: flipped, ...patch } as typeof data };
}

describe('result admission: only the submitted batch counts', () => {
  it('ignores (and counts) results with the right metadata but another batch, an out-of-range or foreign pair', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('adm-1', 6)));
    const submission = graph.api.submissions[0];
    const n = submission.comparisons.length;

    const attempts = [
      forged(graph, 0, { batch_id: 'someone-elses-batch' }),
      forged(graph, 1, { batch_id: undefined }),
      forged(graph, 2, { request_metadata: { ...submission.comparisons[2].metadata, pair_index: n } }),
      forged(graph, 3, { request_metadata: { ...submission.comparisons[3].metadata, pair_index: -1 } }),
      forged(graph, 4, { request_metadata: { ...submission.comparisons[4].metadata, pair_index: 1.5 } }),
      forged(graph, 5, {
        request_metadata: { ...submission.comparisons[5].metadata, cj_attempt: 'cj-adm-1-x' },
      }),
    ];
    for (const f of attempts) await graph.collector.onComparisonResult(f.eventId, f.data);
    // A completed event of a foreign batch that names our correlation id does not report the attempt.
    await graph.collector.onBatchCompleted({
      ...batchCompleted(submission, 'failed', 0, n),
      batch_id: 'someone-elses-batch',
    });

    expect(await graph.repository.countResults('adm-1', submission.correlation_id)).toBe(0);
    expect(graph.kafka.published).toHaveLength(0);
    expect(await rejections(graph)).toEqual({
      'comparison_result/wrong_batch': 2,
      'comparison_result/pair_index_out_of_range': 3,
      'comparison_result/unknown_attempt': 1,
      'batch_completed/wrong_batch': 1,
    });

    // The honest results complete it exactly as an untouched twin assessment completes.
    await deliverBatch(graph, submission);
    const twin = cjTestGraph();
    await twin.intake.onRequested(requestEnvelope(essaysRequest('adm-1', 6)));
    await deliverBatch(twin, twin.api.submissions[0]);
    const [outcome] = graph.kafka.envelopes();
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    const ranking = (g: Graph) => (g.kafka.envelopes()[0].data as CJAssessmentCompletedV1).rankings;
    expect(ranking(graph)).toEqual(ranking(twin));
  });

  it('asks for redelivery of an event that arrives while its attempt is still being submitted', async () => {
    const graph = cjTestGraph();
    graph.api.failNext.push(new Error('connection reset'));
    await graph.intake.onRequested(requestEnvelope(essaysRequest('adm-2', 4))).catch(() => undefined);
    const record = await graph.repository.get('adm-2');
    expect(record?.batches[0].status).toBe('submitting');
    const meta = { assessment_id: 'adm-2', pair_index: 0, cj_attempt: record!.batches[0].correlation_id };
    const early = { ...resultEvent({ ...fakeSubmission(meta), batch_id: 'batch-1' }, 0).data };
    await expect(graph.collector.onComparisonResult('e-early', early)).rejects.toBeInstanceOf(
      AttemptNotAcceptedYetError,
    );
  });
});

function fakeSubmission(metadata: { assessment_id: string; pair_index: number; cj_attempt: string }) {
  return {
    correlation_id: metadata.cj_attempt,
    callback_topic: 't',
    priority: 5,
    llm_config_overrides: {},
    user_prompt: 'p',
    essays: [
      { essay_id: 'e1', text: 'a' },
      { essay_id: 'e2', text: 'b' },
    ],
    comparisons: [
      {
        comparison_id: 'x',
        essay_a_id: 'e1',
        essay_b_id: 'e2',
        metadata: { ...metadata, essay_a_id: 'e1', essay_b_id: 'e2' },
      },
    ],
  };
}
