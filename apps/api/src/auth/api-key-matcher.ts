import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks a presented key against the configured ones in constant time: every configured key is compared (no early
 * exit), over fixed-length digests so neither the keys' lengths nor the matching position leak through timing.
 */
export class ApiKeyMatcher {
  private readonly digests: Buffer[];

  constructor(keys: string[]) {
    this.digests = keys.map(digest);
  }

  matches(presented: string): boolean {
    const candidate = digest(presented);
    let found = false;
    for (const known of this.digests) found = timingSafeEqual(known, candidate) || found;
    return found;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
