import { Redis } from 'ioredis';
import { assessmentKey } from '#assessment-store';
import {
  createEnvelope,
  EVENT_TYPES,
  type CJAssessmentCompletedV1,
  type CJAssessmentFailedV1,
  type EventEnvelope,
} from '#contracts';
import { waitFor } from '../../support/wait-for.js';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { CjHarness } from './support/cj-harness.js';

// The CJ request's own bad inputs (issue 10), published to the real Kafka request topic: every request that can
// be answered ends as ONE CJAssessmentFailedV1 with a reason naming the field, nothing is stored in Redis and
// nothing is submitted to the comparison service. A message that is not an event envelope at all carries no id to
// answer to: it is counted (cj_requests_unanswerable_total{reason}), logged and skipped, and consuming goes on.
describe('CJ bad assessment requests (real Redis + Kafka)', () => {
  const harness = new CjHarness();
  const run = harness.prefix;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const LIMITS = { essays: 12, comparisons: 40, essayChars: 2000, promptChars: 1500 };

  beforeAll(async () => {
    await harness.start({
      CJ_MAX_ESSAYS: String(LIMITS.essays),
      CJ_MAX_COMPARISONS: String(LIMITS.comparisons),
      CJ_MAX_ESSAY_CHARS: String(LIMITS.essayChars),
      CJ_MAX_PROMPT_CHARS: String(LIMITS.promptChars),
    });
  }, 90_000);

  afterAll(async () => {
    await harness.stop();
    await redis.quit();
  }, 30_000);

  /** A valid request of 4 essays at k = 2 (8 comparisons) with `patch` applied; `null` deletes a field. */
  const request = (id: string, patch: Record<string, unknown> = {}): Record<string, unknown> => {
    const base: Record<string, unknown> = {
      ...sampleRequest(id, sampleEssays(4), { comparisons_per_essay: 2 }),
    };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete base[key];
      else base[key] = value;
    }
    return base;
  };
  const essays = (...texts: string[]) => texts.map((text, i) => ({ essay_id: `e${i + 1}`, text }));
  const adaptive = { mode: 'adaptive', target_reliability: 0.8, max_comparisons_per_essay: 6 };

  interface Case {
    name: string;
    /** Event `data` (given the case's assessment id), or a whole envelope override. */
    data: (id: string) => unknown;
    eventType?: string;
    field: string;
    reason?: CJAssessmentFailedV1['reason_code'];
    /** Whether the failure echoes the assessment id (only a well-formed one is echoed). */
    echoesId?: boolean;
  }

  const cases: Case[] = [
    { name: 'data is a string', data: () => 'rank these', field: 'data', echoesId: false },
    { name: 'data is an array', data: (id) => [request(id)], field: 'data', echoesId: false },
    {
      name: 'wrong event type on the request topic',
      data: (id) => request(id),
      eventType: 'CJAssessmentCompletedV1',
      field: 'event_type',
    },
    {
      name: 'missing assessment_id',
      data: (id) => request(id, { assessment_id: null }),
      field: 'assessment_id',
      echoesId: false,
    },
    {
      name: 'assessment_id with a space',
      data: (id) => request(`${id} x`),
      field: 'assessment_id',
      echoesId: false,
    },
    {
      name: 'assessment_id over 96 characters',
      data: (id) => request(`${id}-${'x'.repeat(100)}`),
      field: 'assessment_id',
      echoesId: false,
    },
    { name: 'missing essays', data: (id) => request(id, { essays: null }), field: 'essays' },
    { name: 'essays not an array', data: (id) => request(id, { essays: { e1: 'x' } }), field: 'essays' },
    { name: 'one essay', data: (id) => request(id, { essays: essays('only') }), field: 'essays' },
    {
      name: 'more essays than CJ_MAX_ESSAYS',
      data: (id) => request(id, { essays: essays(...Array.from({ length: LIMITS.essays + 1 }, () => 'x')) }),
      field: 'essays',
    },
    {
      name: 'an essay that is not an object',
      data: (id) => request(id, { essays: [...essays('a', 'b'), 'c'] }),
      field: 'essays[2]',
    },
    {
      name: 'duplicate essay ids',
      data: (id) =>
        request(id, {
          essays: [
            { essay_id: 'd1', text: 'a' },
            { essay_id: 'd2', text: 'b' },
            { essay_id: 'd1', text: 'c' },
          ],
        }),
      field: 'essays[2].essay_id',
    },
    {
      name: 'an essay id with a slash',
      data: (id) => request(id, { essays: [{ essay_id: 'a/b', text: 'x' }, ...essays('y')] }),
      field: 'essays[0].essay_id',
    },
    {
      name: 'empty essay text',
      data: (id) => request(id, { essays: essays('', 'b') }),
      field: 'essays[0].text',
    },
    {
      name: 'NUL in an essay',
      data: (id) => request(id, { essays: essays('a', 'b\u0000c') }),
      field: 'essays[1].text',
    },
    {
      name: 'an unpaired surrogate in an essay',
      data: (id) => request(id, { essays: essays('a', 'b', 'c\ud800') }),
      field: 'essays[2].text',
    },
    {
      name: 'an essay over CJ_MAX_ESSAY_CHARS',
      data: (id) => request(id, { essays: essays('x'.repeat(LIMITS.essayChars + 1), 'b') }),
      field: 'essays[0].text',
    },
    { name: 'missing criteria', data: (id) => request(id, { criteria: null }), field: 'criteria' },
    {
      name: 'NUL in the assignment',
      data: (id) => request(id, { assignment: 'a\u0000' }),
      field: 'assignment',
    },
    {
      name: 'an unpaired surrogate in the instructions',
      data: (id) => request(id, { instructions: 'judge \udc00' }),
      field: 'instructions',
    },
    {
      name: 'a shared prompt over CJ_MAX_PROMPT_CHARS',
      data: (id) => request(id, { assignment: 'a'.repeat(800), criteria: 'c'.repeat(800) }),
      field: 'assignment',
    },
    { name: 'missing llm_config', data: (id) => request(id, { llm_config: null }), field: 'llm_config' },
    {
      name: 'an unknown provider',
      data: (id) => request(id, { llm_config: { provider_override: 'acme' } }),
      field: 'llm_config.provider_override',
    },
    {
      name: 'a model the provider does not list',
      data: (id) => request(id, { llm_config: { provider_override: 'mock', model_override: 'gpt-4o' } }),
      field: 'llm_config.model_override',
    },
    {
      name: 'a temperature out of range',
      data: (id) => request(id, { llm_config: { provider_override: 'mock', temperature_override: 5 } }),
      field: 'llm_config.temperature_override',
    },
    {
      name: 'NUL in the system prompt',
      data: (id) =>
        request(id, { llm_config: { provider_override: 'mock', system_prompt_override: 'be fair\u0000' } }),
      field: 'llm_config.system_prompt_override',
    },
    {
      name: 'two configs that disagree',
      data: (id) =>
        request(id, {
          llm_config: { provider_override: 'mock' },
          llm_config_overrides: { provider_override: 'anthropic' },
        }),
      field: 'llm_config_overrides',
      reason: 'MIXED_LLM_CONFIG',
    },
    {
      name: 'zero comparisons per essay',
      data: (id) => request(id, { comparisons_per_essay: 0 }),
      field: 'comparisons_per_essay',
    },
    {
      name: 'a design over CJ_MAX_COMPARISONS',
      data: (id) =>
        request(id, { essays: essays(...Array.from({ length: 12 }, () => 'x')), comparisons_per_essay: 10 }),
      field: 'comparisons_per_essay',
    },
    { name: 'a negative seed', data: (id) => request(id, { seed: -1 }), field: 'seed' },
    {
      name: 'an unknown design mode',
      data: (id) => request(id, { design: { mode: 'random' } }),
      field: 'design.mode',
    },
    {
      name: 'adaptive without a target',
      data: (id) => request(id, { design: { mode: 'adaptive', max_comparisons_per_essay: 6 } }),
      field: 'design.target_reliability',
    },
    {
      name: 'adaptive with round 1 above its cap',
      data: (id) => request(id, { design: { ...adaptive, initial_comparisons_per_essay: 8 } }),
      field: 'design.initial_comparisons_per_essay',
    },
    {
      name: 'adaptive with both orders',
      data: (id) => request(id, { design: adaptive, both_orders: true }),
      field: 'both_orders',
    },
    {
      // cj-integration always names its own private result topic; a request cannot choose one.
      name: 'a callback topic in the request',
      data: (id) => request(id, { callback_topic: 'huleedu.llm_provider.comparison_result.v1' }),
      field: 'callback_topic',
    },
  ];

  /** Every key the assessment store could hold for `id` (record, essays, pairs, events, results, submission). */
  async function storedFor(id: string): Promise<string[]> {
    const keys = await redis.keys(`${assessmentKey(id)}*`);
    const deadline = await redis.zscore('cj:deadlines', id);
    return deadline === null ? keys : [...keys, 'cj:deadlines member'];
  }

  it(`answers each of ${cases.length} bad requests with one CJAssessmentFailedV1 naming the field; stores and submits nothing`, async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const sent = cases.map((c, i) => {
      const id = `${run}-bad${i}`;
      const envelope = createEnvelope({
        event_type: c.eventType ?? EVENT_TYPES.assessmentRequested,
        source_service: 'cj-bad-requests-it',
        correlation_id: `${run}-corr-${i}`,
        data: c.data(id),
      });
      return { c, id, envelope };
    });
    await Promise.all(sent.map(({ envelope }) => harness.send(envelope)));

    const seen: Array<{ name: string; field: unknown; reason: string }> = [];
    for (const { c, id, envelope } of sent) {
      const outcome = await harness.outcomeByCorrelation<CJAssessmentFailedV1>(envelope.correlation_id);
      expect(outcome.event_type).toBe(EVENT_TYPES.assessmentFailed);
      seen.push({ name: c.name, field: outcome.data.details?.field, reason: outcome.data.reason_code });
      expect(outcome.data.assessment_id).toBe(c.echoesId === false ? '' : id);
      expect(outcome.data.batches).toEqual([]);
      expect(outcome.data.message.length).toBeGreaterThan(0);
      // Never the essay text in the answer.
      expect(JSON.stringify(outcome.data)).not.toContain('b\u0000c');
      expect(await storedFor(id)).toEqual([]);
    }
    expect(seen).toEqual(
      sent.map(({ c }) => ({ name: c.name, field: c.field, reason: c.reason ?? 'INVALID_REQUEST' })),
    );
    // One answer per request, nothing sent on to the comparison service.
    const answers = harness.outcomes.filter((e) => e.correlation_id.startsWith(`${run}-corr-`));
    expect(new Set(answers.map((e) => e.correlation_id)).size).toBe(cases.length);
    expect(harness.fake.batches).toHaveLength(0);
  }, 90_000);

  it('counts and skips messages that are not envelopes (nothing to answer), then keeps consuming', async () => {
    const { CjMetrics } = await import('../../../apps/cj-integration/src/assessment/cj-metrics.js');
    const metrics = harness.app!.get(CjMetrics);
    const count = async () => {
      const values = (await metrics.unanswerableRequests.get()).values;
      return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
    };
    const before = await count();
    const outcomesBefore = harness.outcomes.length;
    await harness.sendRaw('{"event_id": "truncated', 'u1');
    await harness.sendRaw('rank these essays please', 'u2');
    await harness.sendRaw(JSON.stringify([{ assessment_id: `${run}-u3` }]), 'u3');
    await harness.sendRaw(JSON.stringify(request(`${run}-u4`)), 'u4'); // the data without its envelope
    await harness.sendRaw(JSON.stringify({ event_id: 42, data: request(`${run}-u5`) }), 'u5');
    const after = await waitFor(
      count,
      (c) =>
        (c.not_json ?? 0) - (before.not_json ?? 0) === 2 &&
        (c.not_an_object ?? 0) - (before.not_an_object ?? 0) === 1 &&
        (c.no_event_id ?? 0) - (before.no_event_id ?? 0) === 2,
      { timeoutMs: 30_000, intervalMs: 50, what: 'cj_requests_unanswerable_total' },
    );
    expect(after).toBeDefined();

    // The consumer carries on: a valid request after them completes, and is the only thing submitted.
    const id = `${run}-after-bad`;
    await harness.send(harness.requestEnvelope(request(id)));
    const outcome = await harness.outcome<CJAssessmentCompletedV1>(id);
    expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
    expect(harness.fake.batches.map((b) => b.comparisons[0].metadata.assessment_id)).toEqual([id]);
    expect(
      harness.outcomes.slice(outcomesBefore).map((e) => (e.data as { assessment_id: string }).assessment_id),
    ).toEqual([id]);
    for (const u of ['u3', 'u4', 'u5']) expect(await storedFor(`${run}-${u}`)).toEqual([]);
  }, 60_000);

  it("answers a bad request reusing a finished assessment's id without that id, leaving the assessment as it was", async () => {
    const id = `${run}-after-bad`; // completed by the previous test
    const before = await redis.hget(assessmentKey(id), 'json');
    expect(before).not.toBeNull();
    const envelope: EventEnvelope = createEnvelope({
      event_type: EVENT_TYPES.assessmentRequested,
      source_service: 'cj-bad-requests-it',
      correlation_id: `${run}-reuse`,
      data: request(id, { essays: essays('only') }),
    });
    await harness.send(envelope);
    const outcome = await harness.outcomeByCorrelation<CJAssessmentFailedV1>(`${run}-reuse`);
    // Not readable as the finished assessment's outcome: its id is left out.
    expect(outcome.data.assessment_id).toBe('');
    expect(outcome.data.details?.field).toBe('essays');
    expect(await redis.hget(assessmentKey(id), 'json')).toBe(before);
    expect(harness.outcomesFor(id)).toHaveLength(1);
  }, 60_000);
});
