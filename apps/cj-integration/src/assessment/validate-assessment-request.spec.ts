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
        llm_config: {
          provider_override: 'anthropic',
          model_override: 'claude-sonnet-4-6',
          temperature_override: 0.3,
        },
      }),
      defaults,
    );
    expect(result.ok && result.request).toMatchObject({
      seed: 5,
      comparisons_per_essay: 4,
      both_orders: true,
      llm_config: {
        provider_override: 'anthropic',
        model_override: 'claude-sonnet-4-6',
        temperature_override: 0.3,
      },
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
    expect(JSON.stringify(result.refusal.details)).toContain('essays[1].text');
  });

  it.each([
    [
      'NUL in an essay',
      {
        essays: [
          { essay_id: 'a', text: 'x\u0000y' },
          { essay_id: 'b', text: 'z' },
        ],
      },
      'essays[0].text',
    ],
    [
      'an unpaired surrogate in an essay',
      {
        essays: [
          { essay_id: 'a', text: 'x' },
          { essay_id: 'b', text: '\ud800' },
        ],
      },
      'essays[1].text',
    ],
    ['NUL in the criteria', { criteria: 'a\u0000' }, 'criteria'],
    ['an unpaired surrogate in the instructions', { instructions: '\udc00' }, 'instructions'],
    [
      'NUL in the system prompt',
      { llm_config: { provider_override: 'mock', system_prompt_override: '\u0000' } },
      'llm_config.system_prompt_override',
    ],
    [
      'a model the provider does not list',
      { llm_config: { provider_override: 'mock', model_override: 'gpt-4o' } },
      'llm_config.model_override',
    ],
    [
      'a model no provider lists',
      { llm_config: { model_override: 'no-such-model' } },
      'llm_config.model_override',
    ],
    [
      'a duplicate essay id',
      {
        essays: [
          { essay_id: 'd', text: 'a' },
          { essay_id: 'd', text: 'b' },
        ],
      },
      'essays[1].essay_id',
    ],
  ])('refuses %s, naming the field in details.field', (_case, patch, field) => {
    const result = validateAssessmentRequest({ ...essaysRequest('x', 3), ...patch }, defaults);
    expect(!result.ok && result.refusal.details.field).toBe(field);
  });

  it('accepts an unlisted model when CJ_ALLOW_UNLISTED_MODELS is set', () => {
    const raw = essaysRequest('x', 3, {
      llm_config: { provider_override: 'mock', model_override: 'new-model' },
    });
    expect(validateAssessmentRequest(raw, defaults).ok).toBe(false);
    expect(validateAssessmentRequest(raw, { ...defaults, allowUnlistedModels: true }).ok).toBe(true);
  });

  it('never echoes essay text in the refusal', () => {
    const raw = { ...essaysRequest('x', 3), essays: [{ essay_id: 'bad id', text: 'SECRET ESSAY TEXT' }] };
    const result = validateAssessmentRequest(raw, defaults);
    expect(JSON.stringify(result)).not.toContain('SECRET ESSAY TEXT');
  });

  it('refuses two configs that disagree (MIXED_LLM_CONFIG) and accepts two that agree', () => {
    const mixed = validateAssessmentRequest(
      essaysRequest('x', 3, {
        llm_config_overrides: { provider_override: 'mock', model_override: 'mock-judge-1' },
      }),
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
