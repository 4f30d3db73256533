import { parsePreferWait } from './prefer-wait.js';

describe('parsePreferWait', () => {
  it('reads wait among other preferences and caps it', () => {
    expect(parsePreferWait('respond-async, wait=100', 30)).toEqual({ requested: 100, applied: 30 });
    expect(parsePreferWait(['handling=strict', 'wait = 5'], 30)).toEqual({ requested: 5, applied: 5 });
    expect(parsePreferWait('wait="7"', 30)).toEqual({ requested: 7, applied: 7 });
  });

  it('means no wait when the header or the preference is absent', () => {
    expect(parsePreferWait(undefined, 30)).toEqual({ requested: 0, applied: 0 });
    expect(parsePreferWait('return=minimal', 30)).toEqual({ requested: 0, applied: 0 });
  });

  it('rejects a malformed wait, naming the header', () => {
    expect(() => parsePreferWait('wait=1.5', 30)).toThrow(
      expect.objectContaining({ field: 'Prefer', status: 400 }),
    );
    expect(() => parsePreferWait('wait=', 30)).toThrow(expect.objectContaining({ field: 'Prefer' }));
  });
});
