import { EVENT_TYPES, type CJAssessmentCompletedV1 } from '#contracts';
import { OPENAI_ON_FAKE } from '../../../libs/llm-providers/testing/fake-provider-harness.js';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { CjHarness } from './support/cj-harness.js';
import { startStack, stopStack } from './support/real-stack.js';

// Its own file: the CJ module takes its topics when first loaded, so each stack needs a fresh module registry.
// Issue 9.6 end to end: the OpenAI fake expires the assessment's provider batch halfway (status `expired`, the
// finished half in the output file, `batch_expired` lines for the rest). The worker keeps the finished half and
// resubmits only the other half to the same model, so cj-integration sees one completed batch and never
// resubmits the pairs that were already judged (and paid for).
describe('CJ on the real comparison service when the provider batch expires halfway', () => {
  const harness = new CjHarness();
  const fake = OPENAI_ON_FAKE.newFake();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;

  beforeAll(async () => {
    await fake.start();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(OPENAI_ON_FAKE.env(fake, fake.apiKey))) if (v) env[k] = v;
    stack = await startStack(harness, env);
  }, 120_000);
  afterAll(async () => {
    await stopStack(harness, stack);
    await fake.stop();
  }, 60_000);

  it('completes after one resubmission of only the unfinished half (provider calls counted)', async () => {
    const id = `${harness.prefix}-half-expired`;
    fake.expireHalfOfNextBatch();
    await harness.send(
      harness.requestEnvelope(
        sampleRequest(id, sampleEssays(8), {
          comparisons_per_essay: 4,
          llm_config: { provider_override: 'openai' },
        }),
      ),
    );

    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id, 60_000);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(outcome.data).toMatchObject({ provider: 'openai', comparisons_succeeded: 16 });
    // One batch as cj-integration sees it: no whole-batch retry, no follow-up.
    expect(outcome.data.batches.map((b) => [b.kind, b.attempt, b.status])).toEqual([
      ['main', 1, 'completed'],
    ]);
    // Two provider batches: all 16 comparisons, then only the 8 the first never reached, same model.
    const created = fake.submittedBatches();
    expect(created.map((b) => b.lines.length)).toEqual([16, 8]);
    const pairOf = (line: Record<string, unknown>) => String(line.custom_id).replace(/_\d+$/, '');
    expect(created[1].lines.map(pairOf)).toEqual(created[0].lines.slice(8).map(pairOf));
    const model = (line: Record<string, unknown>) => (line.body as Record<string, unknown>).model;
    expect(model(created[1].lines[0])).toBe(model(created[0].lines[0]));
    expect(fake.countRequests(/^POST \/v1\/batches$/)).toBe(2);
  }, 90_000);
});
