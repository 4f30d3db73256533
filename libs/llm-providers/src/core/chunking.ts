import type { BatchLimits } from './llm-provider.js';
import { ProviderError } from './provider-error.js';

export interface PlannedPart<T> {
  part_index: number;
  requests: T[];
}

/**
 * Splits requests into provider batches that respect both limits, keeping input order (part 0 holds the first
 * items). Greedy filling is deterministic, so re-planning the same input after a crash yields the same parts —
 * which is what lets `resumeFrom` skip parts that were already submitted.
 */
export function planBatchParts<T>(
  requests: readonly T[],
  limits: BatchLimits,
  serialisedSize: (request: T) => number,
): PlannedPart<T>[] {
  const parts: PlannedPart<T>[] = [];
  let current: T[] = [];
  let currentBytes = 0;
  requests.forEach((request, index) => {
    const size = serialisedSize(request);
    if (size > limits.maxBytesPerBatch) {
      throw new ProviderError(
        'INVALID_REQUEST',
        `Request at index ${index} is ${size} bytes, over the provider's ${limits.maxBytesPerBatch}-byte batch limit`,
        { details: { index, size, max_bytes: limits.maxBytesPerBatch } },
      );
    }
    const full =
      current.length >= limits.maxRequestsPerBatch || currentBytes + size > limits.maxBytesPerBatch;
    if (full && current.length > 0) {
      parts.push({ part_index: parts.length, requests: current });
      current = [];
      currentBytes = 0;
    }
    current.push(request);
    currentBytes += size;
  });
  if (current.length > 0) parts.push({ part_index: parts.length, requests: current });
  return parts;
}
