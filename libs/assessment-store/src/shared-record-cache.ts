import type { AssessmentRecord } from './assessment.types.js';

/** How long a parsed record is reused without a fresh look at its size (a record recreated under the same id). */
export const SHARED_RECORD_MAX_AGE_MS = 5_000;
/** Assessments whose parsed record one process keeps (those collecting results at the same time). */
export const SHARED_RECORD_MAX_ENTRIES = 64;

interface Entry {
  version: string;
  bytes: number;
  storedAt: number;
  record: Readonly<AssessmentRecord>;
}

/**
 * Parsed assessment records by id, each valid for one stored version and JSON length. A 20,000-essay record is
 * ~0.5 MB of JSON; reading and parsing it for each of its 100,000 results made result collection cost
 * O(results × essays). The records handed out are deep-frozen: they are shared between callers.
 */
export class SharedRecordCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached record when it is still the stored `version` of `bytes` bytes and young enough, else undefined. */
  lookup(id: string, version: string, bytes: number): Readonly<AssessmentRecord> | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (
      entry.version !== version ||
      entry.bytes !== bytes ||
      this.now() - entry.storedAt > SHARED_RECORD_MAX_AGE_MS
    ) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.record;
  }

  store(id: string, version: string, bytes: number, record: AssessmentRecord): Readonly<AssessmentRecord> {
    const frozen = deepFreeze(record);
    this.entries.delete(id); // re-inserted last: the Map's order is the eviction order
    this.entries.set(id, { version, bytes, storedAt: this.now(), record: frozen });
    if (this.entries.size > SHARED_RECORD_MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    return frozen;
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
