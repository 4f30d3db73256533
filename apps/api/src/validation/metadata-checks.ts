import { ApiError } from '../http/api-error.js';
import { checkText } from './text-checks.js';

/** Keys that change an object's prototype when assigned by ordinary code: never accepted, never silently dropped. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A comparison's metadata is echoed back exactly as sent (request_metadata), so it must survive JSON storage
 * unchanged: a plain object, bounded in depth and bytes, no prototype-changing keys, well-formed strings, and only
 * numbers that print back the same (finite, integers within 2^53).
 */
export function checkMetadata(value: unknown, field: string, maxBytes: number, maxDepth: number): void {
  if (!isPlainObject(value)) throw ApiError.invalid(field, `${field} must be an object`);
  // The walk bounds the JSON size from above; only metadata that might be too large is serialised to know exactly
  // (a 10,000-comparison batch would otherwise stringify every comparison's metadata just to measure it).
  const bound = walk(value, field, 1, maxDepth);
  const bytes = bound <= maxBytes ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes > maxBytes) {
    throw ApiError.invalid(field, `${field} may be at most ${maxBytes} bytes as JSON`, {
      max: maxBytes,
      received: bytes,
    });
  }
  if ('assessment_id' in value) {
    const id = value.assessment_id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 128) {
      throw ApiError.invalid(field, 'metadata.assessment_id must be a string of 1–128 characters');
    }
  }
}

/** Checks the value and returns an upper bound of its JSON's size in UTF-8 bytes. */
function walk(value: unknown, path: string, depth: number, maxDepth: number): number {
  if (typeof value === 'string') {
    checkText(value, path);
    return stringBound(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw ApiError.invalid(path, `${path} must be a number that JSON can carry exactly`);
    }
    return MAX_NUMBER_CHARS;
  }
  if (value === null || typeof value === 'boolean') return 5;
  if (depth > maxDepth) {
    throw ApiError.invalid(path, `metadata may nest at most ${maxDepth} levels`, { max_depth: maxDepth });
  }
  let bound = 2;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bound += 1 + walk(value[i], `${path}[${i}]`, depth + 1, maxDepth);
    return bound;
  }
  for (const key of Object.keys(value as object)) {
    const child = `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) throw ApiError.invalid(child, `${child}: the key "${key}" is not allowed`);
    checkText(key, child);
    bound += 2 + stringBound(key) + walk((value as Record<string, unknown>)[key], child, depth + 1, maxDepth);
  }
  return bound;
}

/** Longest JSON of a finite number (e.g. -1.2345678901234567e-308). */
const MAX_NUMBER_CHARS = 25;

/** A string's JSON is at most 6 bytes per UTF-16 unit (an escape such as \u001f), plus its quotes. */
function stringBound(text: string): number {
  return 2 + 6 * text.length;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
