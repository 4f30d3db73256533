import { essaysRequest } from '../../testing/cj-test-graph.js';
import { validateAssessmentRequest, type RequestDefaults } from './validate-assessment-request.js';

const defaults: RequestDefaults = {
  comparisonsPerEssay: 10,
  temperature: 0,
  maxTokens: 1024,
  maxEssays: 5,
  maxComparisons: 100,
  maxEssayChars: 500,
  maxPromptChars: 500,
};

describe('validateAssessmentRequest', () => {
  it('accepts a valid request and fills every default, pinning temperature and max tokens', () => {
    const result = validateAssessmentRequest(essaysRequest('ok-1', 3), defaults);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.request).toMatchObject({
      assessment_id: 'ok-1',
      comparisons_per_essay: 10,
      both_orders: false,
      instructions: null,
      llm_config: { provider_override: 'mock', temperature_override: 0, max_tokens_override: 1024 },
    });
    expect(Number.isInteger(result.request.seed)).toBe(true);
  });

  it('keeps the seed, config and k the request gives', () => {
    const result = validateAssessmentRequest(
      essaysRequest('ok-2', 3, {
        seed: 5,
        comparisons_per_essay: 4,
        both_orders: true,
        llm_config: { provider_override: 'anthropic', model_override: 'm', temperature_override: 0.3 },
      }),
      defaults,
    );
    expect(result.ok && result.request).toMatchObject({
      seed: 5,
      comparisons_per_essay: 4,
      both_orders: true,
      llm_config: { provider_override: 'anthropic', model_override: 'm', temperature_override: 0.3 },
    });
  });

  it.each([
    ['not an object', 'nope', 'data'],
    ['too few essays', essaysRequest('x', 1), 'essays'],
    ['missing criteria', { ...essaysRequest('x', 3), criteria: undefined }, 'criteria'],
    ['unknown field', { ...essaysRequest('x', 3), surprise: 1 }, 'surprise'],
    ['unknown provider', essaysRequest('x', 3, { llm_config: { provider_override: 'acme' } }), 'llm_config'],
    ['bad id', essaysRequest('has space', 3), 'assessment_id'],
    ['k of zero', essaysRequest('x', 3, { comparisons_per_essay: 0 }), 'comparisons_per_essay'],
    ['too many essays', essaysRequest('x', 6), 'essays'],
    [
      'duplicate essay ids',
      {
        ...essaysRequest('x', 2),
        essays: [
          { essay_id: 'd', text: 'a' },
          { essay_id: 'd', text: 'b' },
        ],
      },
      'essays',
    ],
  ])('refuses %s with INVALID_REQUEST naming the field', (_case, raw, field) => {
    const result = validateAssessmentRequest(raw, defaults);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusal.reason_code).toBe('INVALID_REQUEST');
    expect(JSON.stringify(result.refusal.details)).toContain(field);
  });

  it('refuses an essay longer than the comparison service accepts (MAX_ESSAY_CHARS), naming it', () => {
    const raw = essaysRequest('long', 3);
    raw.essays[1].text = 'x'.repeat(501);
    const result = validateAssessmentRequest(raw, defaults);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(JSON.stringify(result.refusal.details)).toContain('essays.1.text');
  });

  it('never echoes essay text in the refusal', () => {
    const raw = { ...essaysRequest('x', 3), essays: [{ essay_id: 'bad id', text: 'SECRET ESSAY TEXT' }] };
    const result = validateAssessmentRequest(raw, defaults);
    expect(JSON.stringify(result)).not.toContain('SECRET ESSAY TEXT');
  });

  it('refuses two configs that disagree (MIXED_LLM_CONFIG) and accepts two that agree', () => {
    const mixed = validateAssessmentRequest(
      essaysRequest('x', 3, { llm_config_overrides: { provider_override: 'mock', model_override: 'other' } }),
      defaults,
    );
    expect(!mixed.ok && mixed.refusal.reason_code).toBe('MIXED_LLM_CONFIG');
    const same = validateAssessmentRequest(
      essaysRequest('x', 3, { llm_config_overrides: { provider_override: 'mock' } }),
      defaults,
    );
    expect(same.ok).toBe(true);
  });

  it('hashes the same content the same regardless of key order, and other content differently', () => {
    const a = validateAssessmentRequest(essaysRequest('h', 3), defaults);
    const reordered = Object.fromEntries(Object.entries(essaysRequest('h', 3)).reverse());
    const b = validateAssessmentRequest(reordered, defaults);
    const c = validateAssessmentRequest(essaysRequest('h', 4), defaults);
    expect(a.ok && b.ok && a.request.request_hash === b.request.request_hash).toBe(true);
    expect(a.ok && c.ok && a.request.request_hash !== c.request.request_hash).toBe(true);
  });
});
