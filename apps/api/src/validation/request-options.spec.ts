import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { RequestOptionsDto } from '#contracts';
import type { ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { ComparisonRequestValidator } from './comparison-request.validator.js';

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
