import { describe, expect, it } from '@jest/globals';
import { CUSTOM_ID_PATTERN, CustomIdMap, customIdIndex, toCustomId } from './custom-id.js';

describe('toCustomId', () => {
  it.each([
    ['plain id', 'cmp-1'],
    ['unsafe characters', 'assessment:42/pair#7 é'],
    ['a 200-char id', 'a'.repeat(200)],
    ['an empty id', ''],
    ['a uuid', '3f1c9a2e-8d4b-4b7a-9c2e-1f0d6b5a4e3c'],
  ])('produces a provider-safe id for %s', (_case, id) => {
    for (const index of [0, 7, 99_999]) {
      const customId = toCustomId(id, index);
      expect(customId).toMatch(CUSTOM_ID_PATTERN);
      expect(customIdIndex(customId)).toBe(index);
    }
  });

  it('keeps ids unique within a part even when sanitised prefixes collide', () => {
    const map = new CustomIdMap(['a:b', 'a/b', 'a b', `${'z'.repeat(80)}1`, `${'z'.repeat(80)}2`]);
    expect(new Set(map.customIds).size).toBe(5);
  });

  it('maps custom ids back to comparison ids and refuses ids it did not issue', () => {
    const map = new CustomIdMap(['first', 'sec:ond']);
    expect(map.comparisonIdOf(map.customIds[1])).toBe('sec:ond');
    expect(map.comparisonIdOf(map.customIds[0])).toBe('first');
    expect(map.comparisonIdOf('first_1')).toBeUndefined();
    expect(map.comparisonIdOf('other_0')).toBeUndefined();
    expect(map.comparisonIdOf('first_7')).toBeUndefined();
    expect(map.comparisonIdOf('nonsense')).toBeUndefined();
  });

  it('rejects a negative index', () => {
    expect(() => toCustomId('x', -1)).toThrow(RangeError);
  });
});
