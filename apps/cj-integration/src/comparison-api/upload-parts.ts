import { ComparisonApiError } from './comparison-api.error.js';
import type { BatchComparisonItem, BatchSubmission } from './comparison-api.types.js';

/** The api's highest part number (`PUT .../uploads/{id}/parts/{1..10000}`). */
export const MAX_UPLOAD_PARTS = 10_000;

/** Body of one `PUT .../uploads/{upload_id}/parts/{n}`: essays and/or comparisons. */
export interface UploadPartBody {
  essays?: BatchSubmission['essays'];
  comparisons?: BatchComparisonItem[];
}

/** UTF-8 bytes of a value as JSON, the way the api counts a body (Content-Length). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * UTF-8 bytes of the whole submission as one JSON body, added up item by item, so deciding whether it fits one
 * request never builds the (possibly ~60 MB) string. Exact for the key order JSON.stringify uses.
 */
export function submissionBytes(submission: BatchSubmission): number {
  const { essays, comparisons, ...options } = submission;
  // `{...options,"essays":[…],"comparisons":[…]}`: the options object minus its closing brace, then both lists.
  const optionsBytes = jsonBytes(options);
  const head = optionsBytes - 1;
  const list = (items: unknown[]) =>
    items.reduce<number>((sum, item) => sum + jsonBytes(item), 0) + Math.max(0, items.length - 1) + 2;
  const separator = optionsBytes > 2 ? 1 : 0;
  return (
    head + separator + '"essays":'.length + list(essays) + 1 + '"comparisons":'.length + list(comparisons) + 1
  );
}

/**
 * Cuts the essays, then the comparisons (in order), into part bodies of at most `maxPartBytes` bytes of JSON each.
 * A part may carry the last essays and the first comparisons. The sizes are exact (the same bytes `JSON.stringify`
 * of the part produces), so no part is refused with 413. One item larger than a part on its own cannot be sent:
 * that is a non-retryable INVALID_REQUEST.
 */
export function splitIntoParts(
  content: Pick<BatchSubmission, 'essays' | 'comparisons'>,
  maxPartBytes: number,
): UploadPartBody[] {
  const parts: UploadPartBody[] = [];
  let current: UploadPartBody = {};
  let size = 2; // {}
  const add = (key: 'essays' | 'comparisons', item: unknown, label: string) => {
    const bytes = jsonBytes(item);
    const list = current[key] as unknown[] | undefined;
    // A new list costs `"key":[` + `]` (and a comma after a list already in the part); an item after another, 1.
    const cost = list ? bytes + 1 : bytes + key.length + 5 + (size > 2 ? 1 : 0);
    if (size + cost > maxPartBytes && size > 2) {
      parts.push(current);
      current = {};
      size = 2;
      add(key, item, label);
      return;
    }
    if (size + cost > maxPartBytes) {
      throw new ComparisonApiError(
        'INVALID_REQUEST',
        `${label} is ${bytes} bytes as JSON, more than one upload part may hold (${maxPartBytes} bytes)`,
        null,
      );
    }
    if (list) list.push(item);
    else (current[key] as unknown[]) = [item];
    size += cost;
  };
  content.essays.forEach((essay, i) => add('essays', essay, `essays[${i}]`));
  content.comparisons.forEach((comparison, i) => add('comparisons', comparison, `comparisons[${i}]`));
  if (size > 2) parts.push(current);
  if (parts.length > MAX_UPLOAD_PARTS) {
    throw new ComparisonApiError(
      'INVALID_REQUEST',
      `the batch needs ${parts.length} upload parts of ${maxPartBytes} bytes; the api takes at most ${MAX_UPLOAD_PARTS}`,
      null,
    );
  }
  return parts;
}
