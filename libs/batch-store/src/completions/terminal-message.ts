import { recordFromFields } from '../batch-record-fields.js';
import { isTerminal, type BatchRecord, type StoredResult } from '../batch.types.js';

/** A terminal notification: the batch id, and for a one-comparison run the message's record and result. */
export interface TerminalMessage {
  batchId: string;
  /** `{ fields, results }` as FINISH_WITH_RESULT_SCRIPT publishes it, still unparsed (parsed only if awaited). */
  payload?: string;
}

/** `<batchId>` or `<batchId> <payload JSON>` (a batch id never holds a space). */
export function parseTerminalMessage(message: string): TerminalMessage {
  const space = message.indexOf(' ');
  if (space < 0) return { batchId: message };
  return { batchId: message.slice(0, space), payload: message.slice(space + 1) };
}

/**
 * The finished batch a notification carries, with its results [0, resultsLimit), or null when it carries none,
 * is not terminal, or does not hold every result asked for (the waiter then reads the batch as usual).
 */
export function finishedFromPayload(
  payload: string | undefined,
  resultsLimit: number,
): { record: BatchRecord; results: StoredResult[] } | null {
  if (payload === undefined) return null;
  try {
    const parsed = JSON.parse(payload) as { fields?: Record<string, string>; results?: unknown };
    if (!parsed.fields || !Array.isArray(parsed.results)) return null;
    const versioned = recordFromFields(parsed.fields);
    if (!versioned || !isTerminal(versioned.record.status)) return null;
    const record = versioned.record;
    const wanted = Math.min(resultsLimit, record.comparison_count);
    if (parsed.results.length < wanted) return null;
    const results = (parsed.results as string[])
      .slice(0, wanted)
      .map((json) => JSON.parse(json) as StoredResult);
    return { record, results };
  } catch {
    // Not a message this version understands: the batch is read instead.
    return null;
  }
}
