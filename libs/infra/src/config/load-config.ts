import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ConfigValidationError } from './config-validation.error.js';

type Env = Record<string, string | undefined>;

/**
 * Reads and validates an environment schema class (class-validator decorators, defaults as property
 * initialisers, `@Type(() => Number)` style conversions). Unknown variables are ignored; empty strings count
 * as unset so `FOO=` falls back to the default.
 */
export function loadConfig<T extends object>(schema: new () => T, env: Env = process.env): T {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const instance = plainToInstance(schema, defined, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigValidationError(errors.map(toProblem));
  }
  return instance;
}

const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD/i;

function toProblem(error: ValidationError): { variable: string; reason: string } {
  const reasons = Object.values(error.constraints ?? {});
  const shown =
    error.value === undefined
      ? 'missing'
      : SECRET_NAME.test(error.property)
        ? 'value hidden'
        : `got "${String(error.value)}"`;
  return { variable: error.property, reason: `${reasons.join(', ')} (${shown})` };
}
