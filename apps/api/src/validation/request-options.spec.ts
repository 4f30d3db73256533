import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { PROVIDER_NAMES, RequestOptionsDto } from '#contracts';
import type { ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { ComparisonRequestValidator, plainValidOverrides } from './comparison-request.validator.js';

const validator = new ComparisonRequestValidator({} as ApiSettings);

/** What the DTO's class-validator rules alone say about an option block. */
function dtoAccepts(options: Record<string, unknown>): boolean {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return validateSync(plainToInstance(RequestOptionsDto, defined), { whitelist: true }).length === 0;
}

function validatorAccepts(options: Record<string, unknown>): boolean {
  try {
    validator.options(options);
    return true;
  } catch (err) {
    if (err instanceof ApiError) return false;
    throw err;
  }
}

describe('the option block', () => {
  const cases: Array<Record<string, unknown>> = [
    {},
    { priority: 0 },
    { priority: 10 },
    { priority: 5, correlation_id: 'corr-1:x.y', callback_topic: 'tenant.results.v1' },
    { priority: 11 },
    { priority: -1 },
    { priority: 2.5 },
    { priority: '5' },
    { priority: null },
    { priority: Number.NaN },
    { correlation_id: '' },
    { correlation_id: 'has space' },
    { correlation_id: 'x'.repeat(128) },
    { correlation_id: 'x'.repeat(129) },
    { correlation_id: 42 },
    { correlation_id: null },
    { callback_topic: 't'.repeat(249) },
    { callback_topic: 't'.repeat(250) },
    { callback_topic: 'a/b' },
    { llm_config_overrides: { provider_override: 'mock' } },
    { llm_config_overrides: { temperature_override: 'hot' } },
  ];

  it.each(cases)('is accepted exactly when the DTO accepts it: %j', (options) => {
    expect(validatorAccepts(options)).toBe(dtoAccepts(options));
  });
});

/** What the DTO's rules say about an overrides object on its own (unknown keys refused, as the API refuses them). */
function dtoAcceptsOverrides(overrides: unknown): boolean {
  const errors = validateSync(plainToInstance(RequestOptionsDto, { llm_config_overrides: overrides }), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return errors.length === 0;
}

describe('llm_config_overrides', () => {
  const emoji = '\u{1F600}';
  const cases: unknown[] = [
    {},
    { provider_override: 'mock' },
    ...PROVIDER_NAMES.map((provider_override) => ({ provider_override })),
    { provider_override: 'openai', model_override: 'gpt-5.4-mini', temperature_override: 0.2 },
    { provider_override: 'OpenAI' },
    { provider_override: 'azure' },
    { provider_override: null },
    { provider_override: ['openai'] },
    { model_override: '' },
    { model_override: 'm' },
    { model_override: 'm'.repeat(200) },
    { model_override: 'm'.repeat(201) },
    { model_override: emoji.repeat(100) },
    // 200 code points in 400 UTF-16 units: the DTO counts code points; the fast check declines, the DTO accepts.
    { model_override: emoji.repeat(200) },
    { model_override: emoji.repeat(201) },
    { model_override: 7 },
    { model_override: null },
    { temperature_override: 0 },
    { temperature_override: 2 },
    { temperature_override: 1.25 },
    { temperature_override: -0 },
    { temperature_override: -0.01 },
    { temperature_override: 2.01 },
    { temperature_override: '1' },
    { temperature_override: Number.NaN },
    { temperature_override: Number.POSITIVE_INFINITY },
    { temperature_override: null },
    { max_tokens_override: 1 },
    { max_tokens_override: 200_000 },
    { max_tokens_override: 0 },
    { max_tokens_override: 200_001 },
    { max_tokens_override: 1.5 },
    { max_tokens_override: '100' },
    { max_tokens_override: null },
    { system_prompt_override: '' },
    { system_prompt_override: 's'.repeat(20_000) },
    { system_prompt_override: 's'.repeat(20_001) },
    { system_prompt_override: emoji.repeat(10_000) },
    { system_prompt_override: 5 },
    { unknown_override: 1 },
    { provider_override: 'mock', extra: true },
    [],
    ['provider_override'],
    null,
    'mock',
    42,
    Object.assign(Object.create(null) as object, { provider_override: 'mock' }),
  ];

  // Titles cut to 80 characters: some cases hold 20,000-character strings.
  const label = (value: unknown) => (JSON.stringify(value) ?? String(value)).slice(0, 80);
  it.each(cases.map((overrides) => [label(overrides), overrides]))(
    'the API accepts %s exactly when LlmConfigOverridesDto does',
    (_label, overrides) => {
      const options = { llm_config_overrides: overrides };
      expect(validatorAccepts(options)).toBe(dtoAcceptsOverrides(overrides));
    },
  );

  it('the fast check never accepts what the DTO refuses, and takes the common well-formed overrides', () => {
    for (const overrides of cases) {
      if (plainValidOverrides(overrides)) expect(dtoAcceptsOverrides(overrides)).toBe(true);
    }
    // Seeded random overrides around every bound (mulberry32): the fast check stays inside the DTO's rules.
    let seed = 12;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const values: Record<string, readonly unknown[]> = {
      provider_override: [...PROVIDER_NAMES, 'none', '', null, 1],
      model_override: [
        '',
        'm',
        'm'.repeat(200),
        'm'.repeat(201),
        emoji.repeat(150),
        emoji.repeat(201),
        null,
        3,
      ],
      temperature_override: [0, 2, 1.5, -1e-9, 2 + 1e-9, '1', null, Number.NaN],
      max_tokens_override: [1, 200_000, 0, 200_001, 10.5, '10', null],
      system_prompt_override: ['', 's'.repeat(20_000), 's'.repeat(20_001), emoji.repeat(10_001), null, false],
      extra: [1],
    };
    let fast = 0;
    for (let i = 0; i < 500; i += 1) {
      const overrides: Record<string, unknown> = {};
      for (const [key, options] of Object.entries(values)) {
        if (random() < (key === 'extra' ? 0.05 : 0.5)) overrides[key] = pick(options);
      }
      const accepted = dtoAcceptsOverrides(overrides);
      if (plainValidOverrides(overrides)) {
        fast += 1;
        expect({ overrides, accepted }).toEqual({ overrides, accepted: true });
      }
      expect(validatorAccepts({ llm_config_overrides: overrides })).toBe(accepted);
    }
    expect(fast).toBeGreaterThan(20);
    expect(plainValidOverrides({ provider_override: 'openai', model_override: 'gpt-5.4-mini' })).toBe(true);
  });
});
