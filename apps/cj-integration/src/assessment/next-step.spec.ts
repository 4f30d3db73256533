import { generatePairs } from '#cj-scoring';
import { newAssessment, withAttempt, withAttemptReported } from './assessment-state.js';
import type { AssessmentRecord, AttemptStatus } from '#assessment-store';
import { nextStep, type FailurePolicy } from './next-step.js';
import type { ValidAssessmentRequest } from './validate-assessment-request.js';

const policy: FailurePolicy = { batchRetries: 1, minSuccessRate: 1 };

function record(): AssessmentRecord {
  const essays = ['a', 'b', 'c', 'd'].map((essay_id) => ({ essay_id, text: essay_id }));
  const request: ValidAssessmentRequest = {
    assessment_id: 's',
    essays,
    assignment: 'x',
    criteria: 'y',
    instructions: null,
    llm_config: {},
    comparisons_per_essay: 2,
    both_orders: false,
    seed: 1,
    request_hash: 'h',
  };
  const pairs = generatePairs({ essayIds: essays.map((e) => e.essay_id), comparisonsPerEssay: 2, seed: 1 });
  return newAssessment(request, pairs.length, 'prompt', 'c', new Date(0), 1000);
}

function reported(
  r: AssessmentRecord,
  status: AttemptStatus,
  succeeded: number,
  failed: number,
): AssessmentRecord {
  const attempt = r.batches.at(-1)!;
  return withAttemptReported(
    r,
    attempt.correlation_id,
    {
      batch_id: 'b',
      assessment_id: 's',
      successful_comparisons: succeeded,
      failed_comparisons: failed,
      total_processing_time_ms: 0,
      correlation_id: attempt.correlation_id,
      status,
    },
    0,
  );
}

const all = (r: AssessmentRecord) => new Set(Array.from({ length: r.pair_count }, (_, i) => i));

describe('nextStep (all-or-nothing policy)', () => {
  it('waits while the batch runs, and for results still on their way', () => {
    const r = record();
    expect(nextStep(r, new Set(), true, policy)).toEqual({ type: 'wait' });
    expect(nextStep(reported(r, 'completed', 4, 0), new Set(), false, policy)).toEqual({ type: 'wait' });
  });

  it('scores when every pair succeeded', () => {
    const r = reported(record(), 'completed', 4, 0);
    expect(nextStep(r, all(r), true, policy)).toEqual({ type: 'score' });
  });

  it.each(['failed', 'expired', 'canceled'] as const)('retries a %s batch whole, then fails', (status) => {
    const first = reported(record(), status, 0, 4);
    expect(nextStep(first, new Set(), true, policy)).toEqual({
      type: 'submit',
      kind: 'main',
      pairIndexes: null, // the whole design again
    });
    const second = reported(withAttempt(first, 'main', null).record, status, 0, 4);
    expect(nextStep(second, new Set(), true, policy)).toMatchObject({ type: 'fail', reason: 'BATCH_FAILED' });
  });

  it('a batch where nothing succeeded and no status was given counts as failed', () => {
    const r = withAttemptReported(
      record(),
      'cj-s-main-1',
      {
        batch_id: 'b',
        assessment_id: 's',
        successful_comparisons: 0,
        failed_comparisons: 4,
        total_processing_time_ms: 0,
        correlation_id: 'cj-s-main-1',
      },
      0,
    );
    expect(r.batches[0].status).toBe('failed');
  });

  it('sends missing pairs once as a follow-up, then applies the minimum success rate', () => {
    const r = reported(record(), 'completed', 3, 1);
    const some = new Set([...all(r)].slice(1));
    const missing = [...all(r)][0];
    expect(nextStep(r, some, true, policy)).toEqual({
      type: 'submit',
      kind: 'follow_up',
      pairIndexes: [missing],
    });
    const after = reported(withAttempt(r, 'follow_up', [missing]).record, 'completed', 0, 1);
    expect(nextStep(after, some, true, policy)).toMatchObject({
      type: 'fail',
      reason: 'INSUFFICIENT_COMPARISONS',
    });
    expect(nextStep(after, some, true, { ...policy, minSuccessRate: 0.75 })).toEqual({ type: 'score' });
  });
});
