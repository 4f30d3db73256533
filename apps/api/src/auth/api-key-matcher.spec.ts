import { ApiKeyMatcher } from './api-key-matcher.js';

describe('ApiKeyMatcher', () => {
  const matcher = new ApiKeyMatcher(['first-key-0123456789', 'second-key-0123456789']);

  it('accepts any configured key exactly', () => {
    expect(matcher.matches('first-key-0123456789')).toBe(true);
    expect(matcher.matches('second-key-0123456789')).toBe(true);
  });

  it('rejects prefixes, extensions, case changes and the empty key', () => {
    for (const key of ['first-key-012345678', 'first-key-01234567890', 'FIRST-KEY-0123456789', '']) {
      expect(matcher.matches(key)).toBe(false);
    }
  });
});
