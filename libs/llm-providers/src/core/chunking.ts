import type { BatchLimits } from './llm-provider.js';
import { ProviderError } from './provider-error.js';

export interface PlannedPart<T> {
  part_index: number;
  requests: T[];
  /** Estimated tokens the part puts in the provider's queue (0 when no token budget was given). */
  estimated_tokens: number;
}

/** A cap on the tokens one part may enqueue (the provider's enqueued-token quota for the model). */
export interface TokenBudget<T> {
  maxTokensPerPart: number;
  estimate: (request: T) => number;
  /** The setting that holds the budget, named when one request alone is over it. */
  variable: string;
}

/**
 * Splits requests into provider batches that respect the limits (requests, bytes and, when given, estimated
 * enqueued tokens), keeping input order (part 0 holds the first items). Greedy filling is deterministic, so
 * re-planning the same input after a crash yields the same parts — which is what lets `resumeFrom` skip parts that
 * were already submitted.
 */
export function planBatchParts<T>(
  requests: readonly T[],
  limits: BatchLimits,
  serialisedSize: (request: T) => number,
  tokens?: TokenBudget<T>,
): PlannedPart<T>[] {
  const parts: PlannedPart<T>[] = [];
  let current: T[] = [];
  let currentBytes = 0;
  let currentTokens = 0;
  const close = () => {
    parts.push({ part_index: parts.length, requests: current, estimated_tokens: currentTokens });
    current = [];
    currentBytes = 0;
    currentTokens = 0;
  };
  requests.forEach((request, index) => {
    const size = serialisedSize(request);
    if (size > limits.maxBytesPerBatch) {
      throw new ProviderError(
        'INVALID_REQUEST',
        `Request at index ${index} is ${size} bytes, over the provider's ${limits.maxBytesPerBatch}-byte batch limit`,
        { details: { index, size, max_bytes: limits.maxBytesPerBatch } },
      );
    }
    const requestTokens = tokens ? tokens.estimate(request) : 0;
    if (tokens && requestTokens > tokens.maxTokensPerPart) {
      throw new ProviderError(
        'INVALID_REQUEST',
        `Request at index ${index} is estimated at ${requestTokens} tokens, over the enqueued-token budget ` +
          `${tokens.maxTokensPerPart} (${tokens.variable})`,
        { details: { index, estimated_tokens: requestTokens, budget: tokens.maxTokensPerPart } },
      );
    }
    const full =
      current.length >= limits.maxRequestsPerBatch ||
      currentBytes + size > limits.maxBytesPerBatch ||
      (tokens !== undefined && currentTokens + requestTokens > tokens.maxTokensPerPart);
    if (full && current.length > 0) close();
    current.push(request);
    currentBytes += size;
    currentTokens += requestTokens;
  });
  if (current.length > 0) close();
  return parts;
}
