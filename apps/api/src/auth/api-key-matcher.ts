import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiPrincipal, TenantKey } from './api-principal.js';

/**
 * Finds the principal of a presented key in constant time: every configured key is compared (no early exit), over
 * fixed-length digests so neither the keys' lengths nor the matching position leak through timing.
 */
export class ApiKeyMatcher {
  private readonly entries: Array<{ digest: Buffer; principal: ApiPrincipal }>;

  constructor(keys: TenantKey[]) {
    this.entries = keys.map(({ key, tenant_id, key_id }) => ({
      digest: digest(key),
      principal: { tenant_id, key_id },
    }));
  }

  match(presented: string): ApiPrincipal | null {
    const candidate = digest(presented);
    let found: ApiPrincipal | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate)) found = entry.principal;
    }
    return found;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
