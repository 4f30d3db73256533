import { Logger } from '@nestjs/common';
import { EVENT_TYPES, type CJAssessmentCompletedV1 } from '#contracts';
import { cjTestGraph, deliverBatch, essaysRequest, requestEnvelope } from '../../testing/cj-test-graph.js';
import { StepHandOff } from './step-hand-off.js';

Logger.overrideLogger(false);

/** What a SIGKILL during the comparison-service call looks like to the code: the call never returns. */
const crash = () => new Error('process killed mid-call (stand-in)');

describe('AssessmentResumer: every pending step is resumed after a crash', () => {
  it('submits a main batch whose submission was interrupted, once (same correlation id)', async () => {
    const graph = cjTestGraph();
    graph.api.failNext = [crash()];
    await expect(graph.intake.onRequested(requestEnvelope(essaysRequest('r1', 5)))).rejects.toThrow();
    expect(graph.api.submissions).toHaveLength(0);

    expect(await graph.resumer.sweep()).toEqual([{ assessment_id: 'r1', step: 'submission' }]);
    expect(graph.api.submissions.map((s) => s.correlation_id)).toEqual(['cj-r1-main-1']);
    expect((await graph.repository.get('r1'))?.batches[0].status).toBe('accepted');
    expect(await graph.resumer.sweep()).toEqual([]);
  });

  it('submits a whole-batch retry after an expiry whose submission was interrupted', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('r2', 5)));
    graph.api.failNext = [crash()];
    await expect(deliverBatch(graph, graph.api.submissions[0], { status: 'expired' })).rejects.toThrow();
    expect((await graph.repository.get('r2'))?.batches.map((b) => b.status)).toEqual([
      'expired',
      'submitting',
    ]);

    expect(await graph.resumer.sweep()).toEqual([{ assessment_id: 'r2', step: 'submission' }]);
    expect(graph.api.submissions.map((s) => s.correlation_id)).toEqual(['cj-r2-main-1', 'cj-r2-main-2']);
    await deliverBatch(graph, graph.api.submissions[1]);
    const [outcome] = graph.kafka.envelopes();
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect((outcome.data as CJAssessmentCompletedV1).batches.map((b) => b.status)).toEqual([
      'expired',
      'completed',
    ]);
  });

  it('submits a follow-up batch for per-item errors whose submission was interrupted', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('r3', 5)));
    graph.api.failNext = [crash()];
    const main = graph.api.submissions[0];
    await expect(deliverBatch(graph, main, { errorsAt: new Set([0, 3]) })).rejects.toThrow();

    expect(await graph.resumer.sweep()).toEqual([{ assessment_id: 'r3', step: 'submission' }]);
    const followUp = graph.api.submissions[1];
    expect(followUp.correlation_id).toBe('cj-r3-followup-1');
    expect(followUp.comparisons.map((c) => c.metadata.pair_index)).toEqual([0, 3]);
    await deliverBatch(graph, followUp);
    expect(graph.kafka.envelopes()[0].event_type).toBe(EVENT_TYPES.assessmentCompleted);
  });

  it('leaves assessments alone whose batch is simply running', async () => {
    const graph = cjTestGraph();
    await graph.intake.onRequested(requestEnvelope(essaysRequest('r4', 5)));
    expect(await graph.resumer.sweep()).toEqual([]);
    expect(graph.api.submissions).toHaveLength(1);
  });
});

describe('StepHandOff (detached)', () => {
  it('returns before the step ends, runs one step per key at a time and collapses repeated asks', async () => {
    const handOff = new StepHandOff('detached');
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await handOff.run('a', async () => {
      order.push('a1 start');
      await gate;
      order.push('a1 end');
    });
    expect(order).toEqual(['a1 start']);
    expect(handOff.busy('a')).toBe(true);
    await handOff.run('a', async () => order.push('a2'));
    await handOff.run('a', async () => order.push('a3'));
    await handOff.run('b', async () => order.push('b1'));
    release();
    await handOff.idle();
    expect(order).toEqual(['a1 start', 'b1', 'a1 end', 'a3']);
    expect(handOff.busy('a')).toBe(false);
  });

  it('keeps going after a failed step (the resumer retries it)', async () => {
    const handOff = new StepHandOff('detached');
    await handOff.run('x', async () => {
      throw new Error('boom');
    });
    await handOff.idle();
    let ran = false;
    await handOff.run('x', async () => {
      ran = true;
    });
    await handOff.idle();
    expect(ran).toBe(true);
  });
});
