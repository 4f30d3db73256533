import { ApiKeyMatcher } from './api-key-matcher.js';
import { keyIdOf, parseTenantKeys } from './api-principal.js';

describe('ApiKeyMatcher', () => {
  const matcher = new ApiKeyMatcher(
    parseTenantKeys('first-key-0123456789,acme:second-key-0123456789,acme:third-key-0123456789'),
  );

  it('finds the tenant and key id of every configured key', () => {
    expect(matcher.match('first-key-0123456789')).toEqual({
      tenant_id: keyIdOf('first-key-0123456789'),
      key_id: keyIdOf('first-key-0123456789'),
    });
    expect(matcher.match('second-key-0123456789')).toEqual({
      tenant_id: 'acme',
      key_id: keyIdOf('second-key-0123456789'),
    });
    expect(matcher.match('third-key-0123456789')?.tenant_id).toBe('acme');
    expect(matcher.match('third-key-0123456789')?.key_id).not.toBe(keyIdOf('second-key-0123456789'));
  });

  it('rejects prefixes, extensions, case changes, the tenant form and the empty key', () => {
    for (const key of [
      'first-key-012345678',
      'first-key-01234567890',
      'FIRST-KEY-0123456789',
      'acme:second-key-0123456789',
      '',
    ]) {
      expect(matcher.match(key)).toBeNull();
    }
  });
});

describe('parseTenantKeys', () => {
  it('never puts the key into the ids', () => {
    const [entry] = parseTenantKeys('only-key-0123456789abc');
    expect(entry.key_id).toMatch(/^k_[0-9a-f]{12}$/);
    expect(entry.tenant_id).toBe(entry.key_id);
    expect(JSON.stringify({ ...entry, key: undefined })).not.toContain('only-key');
  });

  it.each([
    ['short', 'a key under 16 characters'],
    ['bad tenant!:a-key-0123456789abcd', 'a tenant name with a space'],
    [':a-key-0123456789abcd', 'an empty tenant name'],
    ['a-key-0123456789abcd,t:a-key-0123456789abcd', 'a key listed twice'],
  ])('refuses %s (%s)', (value) => {
    expect(() => parseTenantKeys(value)).toThrow();
  });
});
