import { createHash } from 'node:crypto';
import { canonicalItemJson, canonicalJson, EncodedArray, requestHash } from './request-hash.js';

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

  it("hashes an array given as its items' stored JSON exactly as the array itself (EncodedArray)", () => {
    const essay = 'An essay long enough to be written from its cached JSON: "quoted", é. '.repeat(6);
    const items: unknown[] = [
      {
        comparison_id: 'a',
        essay_a_id: '0',
        essay_b_id: '1',
        metadata: { pair_index: 1, assessment_id: 'x' },
      },
      { essay_b_id: '1', comparison_id: 'b', essay_a_id: '0' },
      { comparison_id: 'c', essay_a_id: '0', essay_b_id: '1', metadata: { 10: 'integer key', 2: essay } },
      { comparison_id: 'd', essay_a_id: '1', essay_b_id: '0', metadata: { note: essay, list: [3, 1, 2] } },
      { comparison_id: 'e', essay_a_id: '1', essay_b_id: '0', metadata: { skipped: undefined, n: null } },
    ];
    const value = { kind: 'batch', content: { user_prompt: 'p', comparisons: items } };
    const stored = items.map((item) => JSON.stringify(item));
    const encoded = {
      kind: 'batch',
      content: {
        user_prompt: 'p',
        comparisons: new EncodedArray(items.map((item, i) => canonicalItemJson(item, stored[i]))),
      },
    };
    expect(requestHash(encoded)).toBe(requestHash(value));
    expect(canonicalJson(encoded)).toBe(referenceCanonical(value));
    // An item already in key order is written as its stored string; the others are made canonical.
    const inOrder = { comparison_id: 'f', essay_a_id: '0', essay_b_id: '1', metadata: { a: 1, b: [2] } };
    expect(canonicalItemJson(inOrder, JSON.stringify(inOrder))).toBe(referenceCanonical(inOrder));
    expect(canonicalItemJson(items[1], stored[1])).not.toBe(stored[1]);
    expect(canonicalItemJson(items[1], stored[1])).toBe(referenceCanonical(items[1]));
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
