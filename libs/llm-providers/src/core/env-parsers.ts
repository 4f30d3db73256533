import { ProviderConfigError } from './provider-config-error.js';

export type Env = Record<string, string | undefined>;

/** Empty strings count as unset: `FOO=` in a .env file should not override a default. */
export function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const value = readString(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ProviderConfigError(name, `expected true/false, got "${env[name]}"`);
}

export function readNumber(
  env: Env,
  name: string,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ProviderConfigError(name, `expected a number, got "${raw}"`);
  if (range.integer && !Number.isInteger(value))
    throw new ProviderConfigError(name, `expected an integer, got "${raw}"`);
  if (range.min !== undefined && value < range.min)
    throw new ProviderConfigError(name, `must be >= ${range.min}`);
  if (range.max !== undefined && value > range.max)
    throw new ProviderConfigError(name, `must be <= ${range.max}`);
  return value;
}

export function readUrl(env: Env, name: string): string | undefined {
  const raw = readString(env, name);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new ProviderConfigError(name, `expected an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

export function readOneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = readString(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ProviderConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}
