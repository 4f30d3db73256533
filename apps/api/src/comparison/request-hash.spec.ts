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

  it('hashes repeated long texts (an inline batch naming the same essays) to the digest of the plain canonical form', () => {
    const essays = [
      'é "quoted" \\ back\nslash 😀 '.repeat(40),
      'x'.repeat(255),
      'y'.repeat(256),
      `${'z'.repeat(300)}\u2028`,
    ];
    const body = {
      kind: 'batch',
      body: {
        correlation_id: 'c-1',
        comparisons: Array.from({ length: 400 }, (_, i) => ({
          metadata: { z: essays[i % 4], 10: 'integer key', 2: [essays[(i + 1) % 4]], pair_index: i },
          essay_b: essays[(i * 7) % 4],
          comparison_id: `id-${i}`,
          user_prompt: i % 3 === 0 ? essays[2] : 'short prompt',
          essay_a: essays[i % 4],
          unused: undefined,
        })),
      },
    };
    expect(requestHash(body)).toBe(createHash('sha256').update(referenceCanonical(body)).digest('hex'));
    expect(canonicalJson(body)).toBe(referenceCanonical(body));
  });
});

/** The canonical form written the plainest way: the digest every optimisation of requestHash must keep. */
function referenceCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => referenceCanonical(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceCanonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
