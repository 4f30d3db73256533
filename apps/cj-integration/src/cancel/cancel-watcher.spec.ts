import { Logger } from '@nestjs/common';
import type { CJAssessmentFailedV1 } from '#contracts';
import { cjTestGraph, deliverBatch, essaysRequest, requestEnvelope } from '../../testing/cj-test-graph.js';

Logger.overrideLogger(false);

type Graph = ReturnType<typeof cjTestGraph>;
const failures = (graph: Graph) => graph.kafka.envelopes().map((e) => e.data as CJAssessmentFailedV1);

describe('cancel requests from the shared store (the API writes them, cj-integration honours them)', () => {
  it('cancels the running batch and ends the assessment as CANCELLED; later results change nothing', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('c1', 6)));
    expect(await graph.cancels.sweep(Date.now())).toEqual([]);

    await graph.repository.requestCancel('c1', new Date('2026-11-30T08:00:00Z'), 3600);
    expect(await graph.cancels.sweep(Date.now())).toEqual(['c1']);

    expect(graph.api.cancelled).toEqual(['batch-1']);
    const [outcome] = failures(graph);
    expect(outcome.reason_code).toBe('CANCELLED');
    expect(outcome.details).toEqual({ cancel_requested_at: '2026-11-30T08:00:00.000Z' });
    expect(outcome.batches).toHaveLength(1);
    expect((await graph.repository.get('c1'))?.status).toBe('failed');
    expect(await graph.repository.pendingCancels()).toEqual([]);

    await deliverBatch(graph, graph.api.submissions[0]);
    expect(graph.kafka.envelopes()).toHaveLength(1);
    expect(await graph.cancels.sweep(Date.now())).toEqual([]);
  });

  it('ends a request cancelled while still in Kafka on arrival, before submitting anything', async () => {
    const graph = cjTestGraph();
    await graph.repository.requestCancel('c2', new Date(), 3600);
    // Not arrived yet: the request stays pending for the intake.
    expect(await graph.cancels.sweep(Date.now())).toEqual([]);
    expect(await graph.repository.pendingCancels()).toHaveLength(1);

    expect(await graph.intake.onRequested(requestEnvelope(essaysRequest('c2', 4)))).toBe('cancelled');
    expect(graph.api.submissions).toHaveLength(0);
    expect(failures(graph).map((f) => f.reason_code)).toEqual(['CANCELLED']);
    expect(await graph.repository.pendingCancels()).toEqual([]);
  });

  it('leaves a finished assessment alone and forgets a cancel whose request never arrives', async () => {
    const graph = cjTestGraph({ retentionSeconds: 60 });
    await graph.intake.onRequested(requestEnvelope(essaysRequest('c3', 4)));
    await deliverBatch(graph, graph.api.submissions[0]);
    await graph.repository.requestCancel('c3', new Date(), 60);
    await graph.repository.requestCancel('never', new Date(0), 60);

    expect(await graph.cancels.sweep(30_000)).toEqual([]);
    expect(graph.kafka.envelopes().map((e) => e.event_type)).toEqual(['CJAssessmentCompletedV1']);
    expect(await graph.repository.pendingCancels()).toEqual([{ assessment_id: 'never', requested_at_ms: 0 }]);
    expect(await graph.cancels.sweep(61_000)).toEqual([]);
    expect(await graph.repository.pendingCancels()).toEqual([]);
  });

  it('keeps a refusal of a request submitted over the API where the API can show it', async () => {
    const graph = cjTestGraph();
    await graph.submissions.claim({
      assessment_id: 'c4',
      tenant_id: 't1',
      key_id: 'k_1',
      request_hash: 'h',
      correlation_id: 'corr',
      accepted_at: new Date().toISOString(),
      quote: null,
    });
    const tooMany = essaysRequest('c4', 4, { comparisons_per_essay: 500 });
    expect(await graph.intake.onRequested(requestEnvelope(tooMany))).toBe('refused');
    expect((await graph.submissions.get('c4'))?.refusal?.reason_code).toBe('INVALID_REQUEST');
  });
});
