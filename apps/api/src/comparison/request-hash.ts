import { createHash, type Hash } from 'node:crypto';

/** Pieces are gathered into a string of about this many characters before each hash update. */
const FLUSH_CHARS = 64 * 1024;
/** An object holding an array longer than this is written key by key, not stringified whole. */
const SPLIT_ARRAY_LENGTH = 16;
/** Keys that JavaScript enumerates before all others in ascending numeric order, whatever the insertion order. */
const INTEGER_KEY = /^(?:0|[1-9]\d*)$/;

/** A string at least this long is written from a per-hash cache of its JSON bytes once it has been seen twice. */
const LONG_STRING = 256;

/**
 * sha256 of a canonical JSON form (object keys sorted at every level), so the same request sent with its fields
 * in another order counts as the same request for idempotency. The canonical form is streamed into the hash through
 * one reused 64 KiB buffer (each small subtree stringified natively with its keys put in order), so a
 * 10,000-comparison body never exists a second time as one huge string: fresh memory is what such a body costs
 * most. A long string seen again (an inline batch names the same essay in many comparisons) is copied from its
 * JSON bytes encoded once, not escaped and encoded again. The digest equals that of `canonicalJson(value)`.
 */
export function requestHash(value: unknown): string {
  const hash = createHash('sha256');
  const sink = new HashSink(hash);
  // A long string's JSON, kept from its second sighting on: most long strings of a body with distinct texts are
  // never seen again.
  const escaped = new Map<string, string | null>();
  new CanonicalWriter(
    (piece) => sink.push(piece),
    (text) => {
      let json = escaped.get(text);
      if (json) return sink.push(json);
      const first = json === undefined;
      json = JSON.stringify(text);
      escaped.set(text, first ? null : json);
      sink.push(json);
    },
  ).write(value);
  sink.flush();
  return hash.digest('hex');
}

/**
 * An array given as the JSON of each of its items, written as is: the caller already has those strings (the JSON a
 * batch's items are stored as) and vouches that each is its item's canonical form (see canonicalItemJson).
 */
export class EncodedArray {
  constructor(readonly itemJson: readonly string[]) {}
}

/**
 * `json` when it is `item`'s canonical JSON (the item's keys already in order at every level), otherwise the
 * canonical JSON computed: JSON.stringify writes an ordered record exactly as the canonical writer does.
 */
export function canonicalItemJson(item: unknown, json: string): string {
  return inCanonicalOrder(item) ? json : canonicalJson(item);
}

/**
 * Whether every object in the value has its keys in code-unit order and none integer-like (JavaScript would list
 * those first): then JSON.stringify writes the canonical form. Walks without allocating (no Object.keys), since it
 * runs once per item of a large batch.
 */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) if (!inCanonicalOrder(value[i])) return false;
    return true;
  }
  let previous: string | undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39 && INTEGER_KEY.test(key)) return false;
    if (previous !== undefined && previous > key) return false;
    previous = key;
    if (!inCanonicalOrder((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

export function canonicalJson(value: unknown): string {
  let out = '';
  const emit = (piece: string) => (out += piece);
  new CanonicalWriter(emit, (text) => emit(JSON.stringify(text))).write(value);
  return out;
}

/** Thrown by `ordered` for an object whose key order JavaScript cannot represent (integer-like keys). */
class NeedsWriter extends Error {}

class CanonicalWriter {
  /** `"key":` of each key written piece by piece (a large body repeats the same few keys in every item). */
  private readonly keys = new Map<string, string>();
  private lastKeys: string[] = [];
  private lastSorted: string[] = [];

  constructor(
    private readonly emit: (piece: string) => void,
    /** Writes a long string value as JSON (its canonical form is JSON.stringify's). */
    private readonly emitLong: (text: string) => void,
  ) {}

  write(value: unknown): void {
    if (value instanceof EncodedArray) {
      this.emit('[');
      const items = value.itemJson;
      for (let i = 0; i < items.length; i += 1) this.emit(i > 0 ? ',' + items[i] : items[i]);
      this.emit(']');
      return;
    }
    if (Array.isArray(value)) {
      this.emit('[');
      for (let i = 0; i < value.length; i += 1) {
        if (i > 0) this.emit(',');
        this.write(value[i] ?? null);
      }
      this.emit(']');
      return;
    }
    if (typeof value === 'string' && value.length >= LONG_STRING) return this.emitLong(value);
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (!needsPieces(record)) {
        try {
          // Most records are already in order: checked without copying, and copied in order only when not.
          this.emit(JSON.stringify(inCanonicalOrder(record) ? record : ordered(record)));
          return;
        } catch (err) {
          if (!(err instanceof NeedsWriter)) throw err;
        }
      }
      const keys = this.sortedKeys(record);
      let separator = '{';
      for (let i = 0; i < keys.length; i += 1) {
        const child = record[keys[i]];
        if (child === undefined) continue;
        this.emit(separator + this.keyJson(keys[i]));
        separator = ',';
        this.write(child);
      }
      this.emit(separator === '{' ? '{}' : '}');
      return;
    }
    this.emit(JSON.stringify(value) ?? 'null');
  }

  /** The record's keys in code-unit order; the order of the previous record is reused when its keys are the same. */
  private sortedKeys(record: Record<string, unknown>): string[] {
    const keys = Object.keys(record);
    const last = this.lastKeys;
    if (last.length === keys.length && keys.every((key, i) => key === last[i])) return this.lastSorted;
    this.lastKeys = keys;
    // The default sort compares strings by UTF-16 code units, as byCodeUnits does (natively, without calls).
    this.lastSorted = keys.slice().sort();
    return this.lastSorted;
  }

  private keyJson(key: string): string {
    let json = this.keys.get(key);
    if (json === undefined) {
      json = `${JSON.stringify(key)}:`;
      this.keys.set(key, json);
    }
    return json;
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether the value holds, at any depth, an array longer than SPLIT_ARRAY_LENGTH or a string of LONG_STRING or
 * more: then it is written piece by piece (never as one huge string) and its long strings through `emitLong`.
 * Stops at the first such value, so a large body is judged by its first items.
 */
function needsPieces(value: unknown): boolean {
  if (typeof value === 'string') return value.length >= LONG_STRING;
  if (value instanceof EncodedArray) return true;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    if (value.length > SPLIT_ARRAY_LENGTH) return true;
    for (let i = 0; i < value.length; i += 1) if (needsPieces(value[i])) return true;
    return false;
  }
  for (const key in value) if (needsPieces((value as Record<string, unknown>)[key])) return true;
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
  // Copies of children are kept only once one differs (most records of a body are already in order).
  let children: unknown[] | undefined;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i];
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39 && INTEGER_KEY.test(key)) throw new NeedsWriter();
    if (i > 0 && keys[i - 1] > key) unchanged = false;
    const original = record[key];
    const child = ordered(original);
    if (child !== original) {
      unchanged = false;
      children ??= keys.slice(0, i).map((k) => record[k]);
    }
    children?.push(child);
  }
  if (unchanged) return record;
  children ??= keys.map((k) => record[k]);
  const order = keys.map((_, i) => i).sort((a, b) => byCodeUnits(keys[a], keys[b]));
  // A "__proto__" key must stay an own property (assigning it on an ordinary object would set the prototype).
  const copy: Record<string, unknown> = keys.includes('__proto__') ? Object.create(null) : {};
  for (const i of order) copy[keys[i]] = children[i];
  return copy;
}

/**
 * Gathers pieces and hashes them through one reused byte buffer: hashing a string directly encodes it into fresh
 * memory on every update. Small pieces are gathered as a string first (one encode per ~64 KiB, not per piece);
 * bytes already encoded are copied in.
 */
class HashSink {
  private pending = '';
  private used = 0;
  private static scratch = Buffer.allocUnsafe(4 * FLUSH_CHARS);

  constructor(private readonly hash: Hash) {}

  push(piece: string): void {
    this.pending += piece;
    if (this.pending.length >= FLUSH_CHARS) this.encodePending();
  }

  pushBytes(bytes: Buffer): void {
    this.encodePending();
    const scratch = HashSink.scratch;
    if (this.used + bytes.length > scratch.length) this.hashScratch();
    if (bytes.length > scratch.length) {
      this.hash.update(bytes);
      return;
    }
    bytes.copy(scratch, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    this.encodePending();
    this.hashScratch();
  }

  private encodePending(): void {
    const text = this.pending;
    if (text.length === 0) return;
    this.pending = '';
    const scratch = HashSink.scratch;
    // Up to 3 UTF-8 bytes per UTF-16 unit; a longer single piece is hashed as a string.
    if (text.length * 3 > scratch.length - this.used) {
      this.hashScratch();
      if (text.length * 3 > scratch.length) {
        this.hash.update(text);
        return;
      }
    }
    this.used += scratch.write(text, this.used, 'utf8');
  }

  private hashScratch(): void {
    if (this.used === 0) return;
    this.hash.update(HashSink.scratch.subarray(0, this.used));
    this.used = 0;
  }
}
