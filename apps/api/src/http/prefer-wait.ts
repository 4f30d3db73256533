import { ApiError } from './api-error.js';

export interface PreferWait {
  /** Seconds the caller asked for (0 when no wait preference). */
  requested: number;
  /** After the configured cap. */
  applied: number;
}

const WAIT = /^wait\s*=\s*(.*)$/i;

/**
 * Reads `wait=N` from an RFC 7240 Prefer header (other preferences are ignored, as the RFC asks). A malformed
 * wait value is a 400 rather than silently ignored, so a caller learns why it never gets a 200.
 */
export function parsePreferWait(header: string | string[] | undefined, maxSeconds: number): PreferWait {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  let requested = 0;
  for (const preference of values.flatMap((v) => v.split(','))) {
    const match = WAIT.exec(preference.split(';')[0].trim());
    if (!match) continue;
    const raw = match[1].trim().replace(/^"(.*)"$/, '$1');
    if (!/^\d{1,6}$/.test(raw)) {
      throw ApiError.invalid('Prefer', 'Prefer: wait must be a whole number of seconds', { value: raw });
    }
    requested = Number(raw);
  }
  return { requested, applied: Math.min(requested, maxSeconds) };
}
