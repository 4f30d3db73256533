import { createHash, type Hash } from 'node:crypto';

/** Pieces are gathered into a string of about this many characters before each hash update. */
const FLUSH_CHARS = 64 * 1024;
/** An object holding an array longer than this is written key by key, not stringified whole. */
const SPLIT_ARRAY_LENGTH = 16;
/** Keys that JavaScript enumerates before all others in ascending numeric order, whatever the insertion order. */
const INTEGER_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * sha256 of a canonical JSON form (object keys sorted at every level), so the same request sent with its fields
 * in another order counts as the same request for idempotency. The canonical form is streamed into the hash in
 * 64 KiB pieces (each small subtree stringified natively with its keys put in order), so a 10,000-comparison body
 * never exists a second time as one huge string: fresh memory is what such a body costs most. The digest equals
 * that of `canonicalJson(value)`.
 */
export function requestHash(value: unknown): string {
  const hash = createHash('sha256');
  const sink = new HashSink(hash);
  new CanonicalWriter((piece) => sink.push(piece)).write(value);
  sink.flush();
  return hash.digest('hex');
}

export function canonicalJson(value: unknown): string {
  let out = '';
  new CanonicalWriter((piece) => (out += piece)).write(value);
  return out;
}

/** Thrown by `ordered` for an object whose key order JavaScript cannot represent (integer-like keys). */
class NeedsWriter extends Error {}

class CanonicalWriter {
  constructor(private readonly emit: (piece: string) => void) {}

  write(value: unknown): void {
    if (Array.isArray(value)) {
      this.emit('[');
      for (let i = 0; i < value.length; i += 1) {
        if (i > 0) this.emit(',');
        this.write(value[i] ?? null);
      }
      this.emit(']');
      return;
    }
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (!holdsLongArray(record)) {
        try {
          this.emit(JSON.stringify(ordered(record)));
          return;
        } catch (err) {
          if (!(err instanceof NeedsWriter)) throw err;
        }
      }
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort(byCodeUnits);
      this.emit('{');
      for (let i = 0; i < keys.length; i += 1) {
        this.emit(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`);
        this.write(record[keys[i]]);
      }
      this.emit('}');
      return;
    }
    this.emit(JSON.stringify(value) ?? 'null');
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function holdsLongArray(record: Record<string, unknown>): boolean {
  for (const key in record) {
    const child = record[key];
    if (Array.isArray(child) && child.length > SPLIT_ARRAY_LENGTH) return true;
  }
  return false;
}

/**
 * The value with every object's keys in code-unit order (copies only where the order differs), so that plain
 * JSON.stringify writes its canonical form. JSON.stringify already drops undefined properties and writes undefined
 * array items as null, as canonicalJson does.
 */
function ordered(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const child = ordered(item);
      if (child !== item) {
        copy ??= value.slice();
        copy[i] = child;
      }
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let unchanged = true;
  const children = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i += 1) {
    if (INTEGER_KEY.test(keys[i])) throw new NeedsWriter();
    if (i > 0 && keys[i - 1] > keys[i]) unchanged = false;
    children[i] = ordered(record[keys[i]]);
    if (children[i] !== record[keys[i]]) unchanged = false;
  }
  if (unchanged) return record;
  const order = keys.map((_, i) => i).sort((a, b) => byCodeUnits(keys[a], keys[b]));
  // A "__proto__" key must stay an own property (assigning it on an ordinary object would set the prototype).
  const copy: Record<string, unknown> = keys.includes('__proto__') ? Object.create(null) : {};
  for (const i of order) copy[keys[i]] = children[i];
  return copy;
}

/**
 * Gathers pieces and hashes them through one reused byte buffer: hashing a string directly encodes it into fresh
 * memory on every update.
 */
class HashSink {
  private pending = '';
  private static scratch = Buffer.allocUnsafe(4 * FLUSH_CHARS);

  constructor(private readonly hash: Hash) {}

  push(piece: string): void {
    this.pending += piece;
    if (this.pending.length >= FLUSH_CHARS) this.flush();
  }

  flush(): void {
    const text = this.pending;
    this.pending = '';
    // Up to 3 UTF-8 bytes per UTF-16 unit; a longer single piece is hashed as a string.
    if (text.length * 3 > HashSink.scratch.length) {
      this.hash.update(text);
      return;
    }
    const bytes = HashSink.scratch.write(text, 0, 'utf8');
    this.hash.update(HashSink.scratch.subarray(0, bytes));
  }
}
