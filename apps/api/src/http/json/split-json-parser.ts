import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface SplitJsonOptions {
  /** Top-level keys whose array value is parsed element by element, each with its most elements. */
  splitArrays: Readonly<Record<string, number>>;
  /** Deepest nesting accepted anywhere (objects and arrays). */
  maxDepth: number;
  /** Most JSON values in one piece parsed at once (one element, or the rest of the body). */
  maxValuesPerPiece: number;
  /** Most bytes of one element of a split array (parsed in one JSON.parse). Default: unbounded. */
  maxElementBytes?: number;
  /** Most bytes of the body outside the split arrays (parsed in one JSON.parse). Default: unbounded. */
  maxRestBytes?: number;
  /** Longest synchronous stretch before yielding to the event loop. */
  sliceMs?: number;
}

export type JsonBodyProblem = 'malformed' | 'too_many_items' | 'too_deep' | 'too_complex' | 'too_large';

/** Why a body was refused before (or while) parsing; `field` names the top-level key or element at fault. */
export class JsonBodyError extends Error {
  constructor(
    readonly problem: JsonBodyProblem,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'JsonBodyError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Strings of elements at least this long are shared between elements (see shareLongStrings). */
const SHARED_STRING_CHARS = 256;
const SHARED_PER_FINGERPRINT = 8;
/** Bytes of a string scanned one by one before the rest of it is searched natively (indexOf). */
const SHORT_STRING_BYTES = 32;
/** Keys we split on are short; a longer top-level key is never one of them (JSON.parse still judges it). */
const MAX_KEY_BYTES = 1024;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** A top-level array parsed element by element: absolute byte offsets in the body. */
interface SplitArray {
  key: string;
  /** Offsets of `[` and `]`. */
  open: number;
  close: number;
  /** Elements so far; element k is [bounds[2k], bounds[2k+1]) (a typed array: no object per element to collect). */
  count: number;
  bounds: Float64Array;
  /** The first elements, already parsed (parseReady); the rest is parsed by assembleJson. */
  items: unknown[];
}

/** What the scan found: where the split arrays and their elements are. */
export interface SplitPlan {
  length: number;
  arrays: SplitArray[];
  /** The long strings of the elements parsed so far (see shareLongStrings). */
  shared: SeenStrings;
}

/**
 * The structural scan of a JSON body, fed chunk by chunk as the bytes arrive (no copy of the body is made). It
 * finds the top-level arrays named in `splitArrays` and their elements, and throws JsonBodyError as soon as an array
 * goes over its cap, the nesting gets too deep, or one piece (an element, or the rest of the body) holds too many
 * values or bytes — so an abusive upload is refused at the byte where it became one, before it is read to the end.
 * Each feed is one synchronous pass over one chunk (a socket read is ≤ 64 KB): the event loop runs between chunks.
 */
export class JsonSplitScanner {
  private pos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private prev = -1;
  /** Top-level key being read or whose value is being scanned. */
  private topKey: string | undefined;
  private expectTopKey = false;
  private keyBytes: number[] | null = null;
  private lastTopString: string | undefined;
  private current: SplitArray | undefined;
  private elementStart = -1;
  private pieceValues = 0;
  private restValues = 0;
  private restBytes = 0;
  private readonly arrays: SplitArray[] = [];
  private readonly shared: SeenStrings = { byPrint: new Map(), crowded: new Map() };

  constructor(private readonly options: SplitJsonOptions) {}

  /**
   * Parses the elements of the split arrays that are complete in the bytes fed so far, so that parsing overlaps
   * the upload (called after each feed: at most one chunk's worth of elements per call).
   */
  parseReady(bytes: ChunkedBytes): void {
    for (const array of this.arrays) parseElements(array, array.count, bytes, this.shared);
    if (this.current) parseElements(this.current, this.current.count, bytes, this.shared);
  }

  feed(chunk: Uint8Array): void {
    const base = this.pos;
    const maxRest = this.options.maxRestBytes ?? Infinity;
    const n = chunk.length;
    /** Where the next backslash at or after the last search is (n: none in this chunk). */
    let nextBackslash = -1;
    for (let j = 0; j < n; j++) {
      if (this.inString && !this.escaped && this.keyBytes === null) {
        // Inside a string only a quote or a backslash matters: skip the rest in a tight loop, and a long string
        // (an essay) by native searches for the two bytes, not byte by byte.
        let k = j;
        const shortEnd = Math.min(n, j + SHORT_STRING_BYTES);
        while (k < shortEnd && chunk[k] !== QUOTE && chunk[k] !== BACKSLASH) k++;
        if (k === shortEnd && k < n) {
          if (nextBackslash < k) {
            nextBackslash = chunk.indexOf(BACKSLASH, k);
            if (nextBackslash < 0) nextBackslash = n;
          }
          const quote = chunk.indexOf(QUOTE, k);
          k = Math.min(quote < 0 ? n : quote, nextBackslash);
        }
        if (k > j) {
          if (this.elementStart < 0 && (this.restBytes += k - j) > maxRest) this.restTooLarge(maxRest);
          this.prev = chunk[k - 1];
          j = k;
          if (j === n) break;
        }
      }
      const c = chunk[j];
      this.step(c, base + j);
      this.prev = c;
      // Bytes outside the elements of split arrays are the rest of the body, parsed in one go.
      if (this.elementStart < 0 && ++this.restBytes > maxRest) this.restTooLarge(maxRest);
    }
    this.pos = base + chunk.length;
    this.checkElementBytes(this.pos);
  }

  /** The plan of a complete body; throws when the body ended inside a value. */
  finish(): SplitPlan {
    if (this.depth !== 0 || this.inString || this.pos === 0) throw malformed();
    return { length: this.pos, arrays: this.arrays, shared: this.shared };
  }

  private step(c: number, i: number): void {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) {
        this.inString = false;
        if (this.keyBytes) {
          this.lastTopString = decodeKey(this.keyBytes);
          this.keyBytes = null;
        }
        return;
      }
      if (this.keyBytes) {
        if (this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(c);
        else this.keyBytes = null; // too long to be a split key: lastTopString stays '' below
      }
      return;
    }
    if (c === QUOTE) {
      this.inString = true;
      if (this.depth === 1 && this.expectTopKey) {
        this.keyBytes = [];
        this.lastTopString = '';
      }
      if (this.current && this.depth === 2 && this.elementStart < 0) this.startElement(i);
      this.countValue();
      return;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      this.depth++;
      if (this.depth > this.options.maxDepth) {
        throw new JsonBodyError(
          'too_deep',
          `Request body nests deeper than ${this.options.maxDepth} levels`,
          this.topKey,
          { max_depth: this.options.maxDepth },
        );
      }
      if (this.depth === 1 && c === OPEN_OBJECT) this.expectTopKey = true;
      if (
        this.depth === 2 &&
        c === OPEN_ARRAY &&
        this.topKey !== undefined &&
        Object.hasOwn(this.options.splitArrays, this.topKey)
      ) {
        this.current = {
          key: this.topKey,
          open: i,
          close: -1,
          count: 0,
          bounds: new Float64Array(256),
          items: [],
        };
        this.elementStart = -1;
        return;
      }
      if (this.current && this.depth === 3 && this.elementStart < 0) this.startElement(i);
      this.countValue();
      return;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (this.current && this.depth === 2) {
        if (this.elementStart >= 0) this.endElement(i);
        else if (this.current.count > 0) throw malformed();
        this.current.close = i;
        this.arrays.push(this.current);
        this.current = undefined;
      }
      this.depth--;
      if (this.depth < 0) throw malformed();
      return;
    }
    if (c === COLON && this.depth === 1) {
      if (this.lastTopString === undefined) throw malformed();
      this.topKey = this.lastTopString;
      this.lastTopString = undefined;
      this.expectTopKey = false;
      return;
    }
    if (c === COMMA) {
      if (this.depth === 1) {
        this.expectTopKey = true;
        this.topKey = undefined;
      } else if (this.current && this.depth === 2) {
        if (this.elementStart < 0) throw malformed();
        this.endElement(i);
      } else this.countValue();
      return;
    }
    if (isSpace(c)) return;
    // A literal or number: its first byte starts a value (an element, when directly inside a split array).
    if (this.current && this.depth === 2 && this.elementStart < 0) this.startElement(i);
    if (!this.isLiteralContinuation()) this.countValue();
  }

  /** Digits and letters after the first of a number or literal are the same value. */
  private isLiteralContinuation(): boolean {
    const prev = this.prev;
    if (prev < 0) return false;
    return !(
      isSpace(prev) ||
      prev === COLON ||
      prev === COMMA ||
      prev === OPEN_ARRAY ||
      prev === OPEN_OBJECT
    );
  }

  private startElement(i: number): void {
    const array = this.current!;
    const max = this.options.splitArrays[array.key];
    if (array.count >= max) {
      throw new JsonBodyError('too_many_items', `${array.key} may hold at most ${max} items`, array.key, {
        max,
      });
    }
    this.elementStart = i;
    this.pieceValues = 0;
  }

  private endElement(i: number): void {
    this.checkElementBytes(i);
    const array = this.current!;
    if (2 * array.count + 2 > array.bounds.length) {
      const grown = new Float64Array(array.bounds.length * 2);
      grown.set(array.bounds);
      array.bounds = grown;
    }
    array.bounds[2 * array.count] = this.elementStart;
    array.bounds[2 * array.count + 1] = i;
    array.count++;
    this.elementStart = -1;
  }

  private checkElementBytes(end: number): void {
    const max = this.options.maxElementBytes;
    if (max === undefined || this.elementStart < 0 || end - this.elementStart <= max) return;
    const field = `${this.current!.key}[${this.current!.count}]`;
    throw new JsonBodyError('too_large', `${field} is larger than ${max} bytes`, field, { max_bytes: max });
  }

  private restTooLarge(max: number): never {
    throw new JsonBodyError(
      'too_large',
      `${this.topKey ?? 'Request body'} is larger than ${max} bytes`,
      this.topKey,
      { max_bytes: max },
    );
  }

  private countValue(): void {
    if (this.current && this.elementStart >= 0) {
      if (++this.pieceValues > this.options.maxValuesPerPiece) {
        throw tooComplex(`${this.current.key}[${this.current.count}]`, this.options);
      }
    } else if (++this.restValues > this.options.maxValuesPerPiece)
      throw tooComplex(this.topKey, this.options);
  }
}

/** The body's bytes as the chunks they arrived in; text of any byte range without joining the whole. */
export class ChunkedBytes {
  private readonly starts: number[] = [];
  private length = 0;
  private scratch = Buffer.alloc(0);

  constructor(private readonly chunks: Buffer[] = []) {
    for (const chunk of chunks) this.track(chunk);
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.track(chunk);
  }

  get size(): number {
    return this.length;
  }

  /** UTF-8 text of [start, end): ranges here start and end at ASCII structure, so never inside a character. */
  text(start: number, end: number): string {
    const k = this.indexOf(start);
    const first = this.chunks[k];
    if (end - this.starts[k] <= first.length)
      return first.toString('utf8', start - this.starts[k], end - this.starts[k]);
    const joined = Buffer.allocUnsafe(end - start);
    this.copyInto(joined, 0, start, end);
    return joined.toString('utf8');
  }

  /**
   * The text of [start, end) as a JSON array: `[` + that UTF-8 text + `]`, decoded once from one buffer (the bytes
   * copied into a scratch buffer kept for the next call). Joining the brackets to the decoded text instead makes a
   * second copy of it inside the JS heap when JSON.parse flattens the joined string: about 12 MB more garbage per
   * 10,000-comparison body.
   */
  arrayText(start: number, end: number): string {
    const length = end - start + 2;
    if (this.scratch.length < length)
      this.scratch = Buffer.allocUnsafe(Math.max(length, 2 * this.scratch.length));
    const scratch = this.scratch;
    scratch[0] = OPEN_ARRAY;
    const written = 1 + this.copyInto(scratch, 1, start, end);
    scratch[written] = CLOSE_ARRAY;
    return scratch.toString('utf8', 0, written + 1);
  }

  /** Copies the bytes of [start, end), across chunks, into `target` from `at`; returns how many. */
  private copyInto(target: Buffer, at: number, start: number, end: number): number {
    let written = 0;
    for (let k = this.indexOf(start), from = start; from < end; k++) {
      const to = Math.min(this.chunks[k].length, end - this.starts[k]);
      written += this.chunks[k].copy(target, at + written, from - this.starts[k], to);
      from = this.starts[k] + to;
    }
    return written;
  }

  private track(chunk: Buffer): void {
    this.starts.push(this.length);
    this.length += chunk.length;
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/**
 * Parses a scanned body: the rest (the body with every split array emptied) in one JSON.parse, then each element on
 * its own, yielding to the event loop every `sliceMs`. The result is exactly what JSON.parse returns.
 */
export async function assembleJson(
  bytes: ChunkedBytes,
  plan: SplitPlan,
  options: Pick<SplitJsonOptions, 'sliceMs'> = {},
): Promise<unknown> {
  const sliceMs = options.sliceMs ?? 10;
  if (plan.arrays.length === 0) return parsePiece(bytes.text(0, plan.length));
  const parts: string[] = [];
  let at = 0;
  for (const array of plan.arrays) {
    parts.push(bytes.text(at, array.open), '[]');
    at = array.close + 1;
  }
  if (at < plan.length) parts.push(bytes.text(at, plan.length));
  const rest = parsePiece(parts.join(''));
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) throw malformed();
  let sliceStart = performance.now();
  for (const array of plan.arrays) {
    while (array.items.length < array.count) {
      if (performance.now() - sliceStart >= sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      parseElements(array, Math.min(array.count, array.items.length + 64), bytes, plan.shared);
    }
    (rest as Record<string, unknown>)[array.key] = array.items;
  }
  return rest;
}

/**
 * Parses the elements of `array` from the first not yet parsed up to (excluding) `end`: in one JSON.parse of their
 * bytes as an array (between two elements the scan found only a comma and spaces), not one call and one string per
 * element. A group that is not exactly its elements (malformed JSON) is refused as any malformed element is.
 */
function parseElements(array: SplitArray, end: number, bytes: ChunkedBytes, shared: SeenStrings): void {
  const { bounds, items } = array;
  const first = items.length;
  if (end <= first) return;
  const group = parsePiece(bytes.arrayText(bounds[2 * first], bounds[2 * (end - 1) + 1]));
  if (!Array.isArray(group) || group.length !== end - first) throw malformed();
  for (const element of group) items.push(shareLongStrings(element, shared));
}

/**
 * JSON.parse of a whole 20 MB body of small objects blocks the event loop for ~0.4 s (1 s when dense), and only
 * afterwards could the item cap be checked. This scans a body already in memory in 64 KB slices (yielding between
 * them), then assembles it (see JsonSplitScanner, assembleJson). The HTTP middleware feeds the scanner as the bytes
 * arrive instead.
 */
export async function parseJsonSplit(body: Buffer, options: SplitJsonOptions): Promise<unknown> {
  const sliceMs = options.sliceMs ?? 10;
  const scanner = new JsonSplitScanner(options);
  let sliceStart = performance.now();
  const SLICE = 1 << 16;
  for (let at = 0; at < body.length; at += SLICE) {
    scanner.feed(body.subarray(at, at + SLICE));
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  return assembleJson(new ChunkedBytes([body]), scanner.finish(), options);
}

/**
 * Long strings of the elements already seen: by a cheap fingerprint, at most SHARED_PER_FINGERPRINT texts each;
 * texts beyond that (crafted or unlucky collisions) by the strings themselves (V8's full hash: slower, still exact).
 */
interface SeenStrings {
  byPrint: Map<number, string[]>;
  crowded: Map<string, string>;
}

/**
 * Gives each long string property of an element (an essay) the instance already seen with the same text: an inline
 * batch names the same essays in many comparisons, and the copies JSON.parse just made die young instead of being
 * carried through every garbage collection while the request is handled; every later lookup of the text (request
 * hash, storage) meets a string whose hash is already computed. Texts are matched by a fingerprint (hashing a whole
 * 500-character string costs ~1 µs in V8), then compared whole: only equal strings are shared, so nothing
 * observable changes.
 */
function shareLongStrings(element: unknown, seen: SeenStrings): unknown {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return element;
  const record = element as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (typeof value !== 'string' || value.length < SHARED_STRING_CHARS) continue;
    const print = fingerprint(value);
    const candidates = seen.byPrint.get(print);
    if (candidates === undefined) {
      seen.byPrint.set(print, [value]);
      continue;
    }
    let shared = candidates.find((candidate) => candidate === value);
    if (shared === undefined) {
      if (candidates.length < SHARED_PER_FINGERPRINT) candidates.push(value);
      else if ((shared = seen.crowded.get(value)) === undefined) seen.crowded.set(value, value);
    }
    if (shared !== undefined) record[key] = shared;
  }
  return element;
}

/** Length, 16 characters spread over the text and its last 16 (generated texts often differ only near the end). */
function fingerprint(text: string): number {
  const n = text.length;
  let print = n;
  for (let i = 0; i < 16; i++) print = (Math.imul(print, 31) + text.charCodeAt(((n - 17) * i) >> 4)) | 0;
  for (let i = n - 16; i < n; i++) print = (Math.imul(print, 31) + text.charCodeAt(i)) | 0;
  return print;
}

function tooComplex(field: string | undefined, options: SplitJsonOptions): JsonBodyError {
  return new JsonBodyError('too_complex', `${field ?? 'Request body'} holds too many JSON values`, field, {
    max_values: options.maxValuesPerPiece,
  });
}

function decodeKey(bytes: number[]): string | undefined {
  try {
    return JSON.parse(`"${Buffer.from(bytes).toString('utf8')}"`) as string;
  } catch {
    return undefined;
  }
}

function parsePiece(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw malformed();
  }
}

function malformed(): JsonBodyError {
  return new JsonBodyError('malformed', 'Request body is not valid JSON');
}
