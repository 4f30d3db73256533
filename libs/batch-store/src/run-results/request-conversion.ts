import type { ComparisonRequest } from '#contracts';
import type { StoredComparison } from '../batch.types.js';

/** A stored comparison as the provider library takes it (without the store's index). */
export function toComparisonRequest(stored: StoredComparison): ComparisonRequest {
  const { index: _index, ...request } = stored;
  return request;
}
