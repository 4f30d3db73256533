import { ApiError } from '../http/api-error.js';
import { checkMetadata } from './metadata-checks.js';

describe('checkMetadata size limit', () => {
  const sizeOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

  it('accepts metadata of exactly the limit, also when escapes make its bound exceed the limit', () => {
    const plain = { note: 'x'.repeat(100) };
    expect(() => checkMetadata(plain, 'metadata', sizeOf(plain), 5)).not.toThrow();
    const escaped = { note: '"\\\n\u0001é😀'.repeat(10), n: [1.5, -2e-300, null, true] };
    expect(() => checkMetadata(escaped, 'metadata', sizeOf(escaped), 5)).not.toThrow();
  });

  it('refuses metadata one byte over the limit, naming the field and the exact size', () => {
    const value = { note: '"é😀\u0001'.repeat(20), nested: { list: [1, 'a'] } };
    const size = sizeOf(value);
    let thrown: unknown;
    try {
      checkMetadata(value, 'comparisons[3].metadata', size - 1, 5);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({
      field: 'comparisons[3].metadata',
      details: { max: size - 1, received: size },
    });
  });
});
