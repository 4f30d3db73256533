import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface SplitJsonOptions {
  /** Top-level keys whose array value is parsed element by element, each with its most elements. */
  splitArrays: Readonly<Record<string, number>>;
  /** Deepest nesting accepted anywhere (objects and arrays). */
  maxDepth: number;
  /** Most JSON values in one piece parsed at once (one element, or the rest of the body). */
  maxValuesPerPiece: number;
  /** Longest synchronous stretch before yielding to the event loop. */
  sliceMs?: number;
}

export type JsonBodyProblem = 'malformed' | 'too_many_items' | 'too_deep' | 'too_complex';

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

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

interface SplitArray {
  key: string;
  /** Offsets of `[` and `]`. */
  open: number;
  close: number;
  elements: Array<[number, number]>;
}

/**
 * JSON.parse of a whole 20 MB body of small objects blocks the event loop for ~0.4 s (1 s when dense), and only
 * afterwards could the item cap be checked. This parser first scans the bytes (in slices, yielding between them)
 * to find the top-level arrays named in `splitArrays`, refusing a body whose array is over its cap, whose nesting
 * is too deep, or one of whose pieces holds too many values — before parsing anything. Then it parses the rest of
 * the body and each array element separately, yielding between pieces, so no single synchronous step is large.
 * The result is exactly what JSON.parse would return for a valid body.
 */
export async function parseJsonSplit(body: Buffer, options: SplitJsonOptions): Promise<unknown> {
  const sliceMs = options.sliceMs ?? 10;
  let sliceStart = performance.now();
  const maybeYield = async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await yieldToEventLoop();
    sliceStart = performance.now();
  };

  const arrays: SplitArray[] = [];
  let depth = 0;
  let inString = false;
  let stringStart = -1;
  /** Top-level key being read or whose value is being scanned. */
  let topKey: string | undefined;
  let expectTopKey = false;
  let lastTopString: string | undefined;
  let current: SplitArray | undefined;
  let elementStart = -1;
  let pieceValues = 0;
  let restValues = 0;

  const tooComplex = (field: string | undefined) =>
    new JsonBodyError('too_complex', `${field ?? 'Request body'} holds too many JSON values`, field, {
      max_values: options.maxValuesPerPiece,
    });

  for (let i = 0; i < body.length; i++) {
    if ((i & 0xffff) === 0 && i > 0) await maybeYield();
    const c = body[i];
    if (inString) {
      // Most of a body is essay text: jump to the string's closing quote natively (memchr), not byte by byte.
      const close = closingQuote(body, i);
      if (close < 0) throw malformed();
      // Every 64 KiB boundary crossed by the jump is still a yield point.
      if (close >>> 16 !== i >>> 16) await maybeYield();
      i = close;
      inString = false;
      if (depth === 1 && expectTopKey) lastTopString = decodeKey(body, stringStart, i + 1);
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      stringStart = i;
      if (current && depth === 2 && elementStart < 0) startElement(i);
      countValue();
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > options.maxDepth) {
        throw new JsonBodyError(
          'too_deep',
          `Request body nests deeper than ${options.maxDepth} levels`,
          topKey,
          {
            max_depth: options.maxDepth,
          },
        );
      }
      if (depth === 1 && c === OPEN_OBJECT) expectTopKey = true;
      if (depth === 2 && c === OPEN_ARRAY && topKey !== undefined && topKey in options.splitArrays) {
        current = { key: topKey, open: i, close: -1, elements: [] };
        elementStart = -1;
        continue;
      }
      if (current && depth === 3 && elementStart < 0) startElement(i);
      countValue();
      continue;
    }
    if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (current && depth === 2) {
        if (elementStart >= 0) endElement(i);
        else if (current.elements.length > 0) throw malformed();
        current.close = i;
        arrays.push(current);
        current = undefined;
      }
      depth--;
      if (depth < 0) throw malformed();
      continue;
    }
    if (c === COLON && depth === 1) {
      if (lastTopString === undefined) throw malformed();
      topKey = lastTopString;
      lastTopString = undefined;
      expectTopKey = false;
      continue;
    }
    if (c === COMMA) {
      if (depth === 1) {
        expectTopKey = true;
        topKey = undefined;
      } else if (current && depth === 2) {
        if (elementStart < 0) throw malformed();
        endElement(i);
      } else countValue();
      continue;
    }
    if (isSpace(c)) continue;
    // A literal or number: its first byte starts a value (an element, when directly inside a split array).
    if (current && depth === 2 && elementStart < 0) startElement(i);
    if (!isLiteralContinuation(body, i)) countValue();
  }
  if (depth !== 0 || inString) throw malformed();

  if (arrays.length === 0) return parsePiece(body.toString('utf8'));

  // The body with every split array emptied, then each element on its own.
  const parts: string[] = [];
  let at = 0;
  for (const array of arrays) {
    parts.push(body.toString('utf8', at, array.open), '[]');
    at = array.close + 1;
  }
  parts.push(body.toString('utf8', at));
  const rest = parsePiece(parts.join(''));
  if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) throw malformed();
  for (const array of arrays) {
    const items: unknown[] = new Array(array.elements.length);
    for (let k = 0; k < array.elements.length; k++) {
      if ((k & 0x3f) === 0) await maybeYield();
      const [start, end] = array.elements[k];
      items[k] = parsePiece(body.toString('utf8', start, end));
    }
    (rest as Record<string, unknown>)[array.key] = items;
  }
  return rest;

  function startElement(i: number): void {
    const array = current!;
    if (array.elements.length >= options.splitArrays[array.key]) {
      const max = options.splitArrays[array.key];
      throw new JsonBodyError('too_many_items', `${array.key} may hold at most ${max} items`, array.key, {
        max,
      });
    }
    elementStart = i;
    pieceValues = 0;
  }

  function endElement(i: number): void {
    current!.elements.push([elementStart, i]);
    elementStart = -1;
  }

  function countValue(): void {
    if (current && elementStart >= 0) {
      if (++pieceValues > options.maxValuesPerPiece) {
        throw tooComplex(`${current.key}[${current.elements.length}]`);
      }
    } else if (++restValues > options.maxValuesPerPiece) throw tooComplex(topKey);
  }
}

/**
 * Offset of the quote that ends the string whose content starts at `from` (at or after it), or -1: the next quote
 * not escaped, i.e. not preceded by an odd run of backslashes.
 */
function closingQuote(body: Buffer, from: number): number {
  let q = body.indexOf(QUOTE, from);
  while (q >= 0) {
    let backslashes = 0;
    for (let k = q - 1; k >= from && body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = body.indexOf(QUOTE, q + 1);
  }
  return -1;
}

/** Digits and letters after the first of a number or literal are the same value. */
function isLiteralContinuation(body: Buffer, i: number): boolean {
  if (i === 0) return false;
  const prev = body[i - 1];
  return !(isSpace(prev) || prev === COLON || prev === COMMA || prev === OPEN_ARRAY || prev === OPEN_OBJECT);
}

function decodeKey(body: Buffer, start: number, end: number): string | undefined {
  // Keys we split on are short; a huge key is never one of them (JSON.parse still judges it).
  if (end - start > 1024) return '';
  try {
    return JSON.parse(body.toString('utf8', start, end)) as string;
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
