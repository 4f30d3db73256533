import { describe, expect, it } from '@jest/globals';
import type { AssessmentRecord } from './assessment.types.js';
import {
  SHARED_RECORD_MAX_AGE_MS,
  SHARED_RECORD_MAX_ENTRIES,
  SharedRecordCache,
} from './shared-record-cache.js';

const record = (id: string) =>
  ({ assessment_id: id, essay_ids: ['a', 'b'], batches: [] }) as unknown as AssessmentRecord;

describe('SharedRecordCache', () => {
  it('hands back the stored record only for the same version and byte length', () => {
    const cache = new SharedRecordCache();
    const stored = cache.store('x', '3', 120, record('x'));
    expect(cache.lookup('x', '3', 120)).toBe(stored);
    expect(cache.lookup('x', '4', 120)).toBeUndefined();
    // A miss drops the entry: the next lookup of the old version misses too.
    expect(cache.lookup('x', '3', 120)).toBeUndefined();
    cache.store('x', '3', 120, record('x'));
    expect(cache.lookup('x', '3', 121)).toBeUndefined();
  });

  it('refreshes a record older than the maximum age (an id recreated with the same version)', () => {
    let now = 1_000;
    const cache = new SharedRecordCache(() => now);
    cache.store('x', '1', 10, record('x'));
    now += SHARED_RECORD_MAX_AGE_MS;
    expect(cache.lookup('x', '1', 10)).toBeDefined();
    now += 1;
    expect(cache.lookup('x', '1', 10)).toBeUndefined();
  });

  it('keeps at most the maximum number of records, dropping the least recently stored', () => {
    const cache = new SharedRecordCache();
    for (let i = 0; i <= SHARED_RECORD_MAX_ENTRIES; i += 1) cache.store(`a${i}`, '1', 1, record(`a${i}`));
    expect(cache.lookup('a0', '1', 1)).toBeUndefined();
    expect(cache.lookup(`a${SHARED_RECORD_MAX_ENTRIES}`, '1', 1)).toBeDefined();
  });

  it('freezes the shared record all the way down', () => {
    const stored = new SharedRecordCache().store('x', '1', 1, record('x'));
    expect(() => (stored.essay_ids as string[]).push('c')).toThrow(TypeError);
    expect(() => {
      (stored as { status?: string }).status = 'failed';
    }).toThrow(TypeError);
  });
});
