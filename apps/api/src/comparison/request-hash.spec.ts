import { createHash } from 'node:crypto';
import { canonicalJson, requestHash } from './request-hash.js';

describe('requestHash', () => {
  it('ignores key order and undefined fields, at every level', () => {
    const a = { b: 1, a: [{ y: 2, x: 1 }], c: undefined };
    const b = { a: [{ x: 1, y: 2 }], b: 1 };
    expect(canonicalJson(a)).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(requestHash(a)).toBe(requestHash(b));
  });

  it('differs when a value or the array order differs', () => {
    expect(requestHash({ a: [1, 2] })).not.toBe(requestHash({ a: [2, 1] }));
    expect(requestHash({ a: '1' })).not.toBe(requestHash({ a: 1 }));
  });

  it('streams a large body into the hash with the same digest as hashing its canonical form whole', () => {
    const body = {
      comparisons: Array.from({ length: 3000 }, (_, i) => ({
        essay_b: `B ${i} 😀 "quoted" ${'x'.repeat(i % 50)}`,
        essay_a: `A ${i} é`,
        metadata: { pair_index: i, note: null },
      })),
    };
    expect(canonicalJson(body).length).toBeGreaterThan(64 * 1024 * 2);
    expect(requestHash(body)).toBe(createHash('sha256').update(canonicalJson(body)).digest('hex'));
  });
});
