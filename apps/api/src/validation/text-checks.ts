import { ApiError } from '../http/api-error.js';

/** ES2024's String.prototype.isWellFormed (V8 11.3+, so Node 20), not yet in this project's TypeScript lib. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/**
 * Text that reaches a provider, Redis and Kafka must be well-formed: NUL is refused by several providers and
 * databases, and an unpaired surrogate cannot be encoded as UTF-8 (it would silently become U+FFFD).
 */
export function checkText(value: string, field: string): void {
  if (value.includes('\u0000')) throw ApiError.invalid(field, `${field} must not contain NUL characters`);
  if (!(value as unknown as WellFormedString).isWellFormed())
    throw ApiError.invalid(field, `${field} must not contain unpaired surrogates`);
}

/** A required, non-empty string of at most `max` characters, well-formed. */
export function checkRequiredText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw ApiError.invalid(field, `${field} must be a string`);
  if (value.length === 0) throw ApiError.invalid(field, `${field} should not be empty`);
  if (value.length > max) {
    throw ApiError.invalid(field, `${field} may be at most ${max} characters`, {
      max,
      received: value.length,
    });
  }
  checkText(value, field);
  return value;
}
