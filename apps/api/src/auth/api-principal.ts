import { createHash } from 'node:crypto';
import type { CallerIdentity } from '#infra';

/** The authenticated caller: the tenant its key belongs to and the key's id (never the key). */
export type ApiPrincipal = CallerIdentity;

/** One entry of API_KEYS: `key` (its own tenant) or `tenant:key` (several keys may share a tenant). */
export interface TenantKey extends ApiPrincipal {
  key: string;
}

export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const API_KEY_PATTERN = /^[A-Za-z0-9._~+/=-]{16,}$/;

/** A stable, non-reversible id of a key for logs and metrics: `k_` + 12 hex characters of its sha256. */
export function keyIdOf(key: string): string {
  return `k_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12)}`;
}

/**
 * Parses API_KEYS. A bare key is its own tenant, named by its key id (so the tenant id in logs never reveals the
 * key); `tenant:key` puts the key in a named tenant. Throws on a malformed entry or a key listed twice.
 */
export function parseTenantKeys(value: string): TenantKey[] {
  const seen = new Set<string>();
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    const colon = entry.indexOf(':');
    const tenant = colon >= 0 ? entry.slice(0, colon) : null;
    const key = colon >= 0 ? entry.slice(colon + 1) : entry;
    if (!API_KEY_PATTERN.test(key))
      throw new Error('each key must be at least 16 characters of [A-Za-z0-9._~+/=-]');
    if (tenant !== null && !TENANT_ID_PATTERN.test(tenant)) {
      throw new Error('a tenant name must be 1-64 characters of [A-Za-z0-9_-]');
    }
    if (seen.has(key)) throw new Error('a key is listed twice');
    seen.add(key);
    const keyId = keyIdOf(key);
    return { key, key_id: keyId, tenant_id: tenant ?? keyId };
  });
}
