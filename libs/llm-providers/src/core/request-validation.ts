import type { ComparisonRequest, ProviderName } from '#contracts';
import type { PlannedPart } from './chunking.js';
import type { ProviderBatchRef } from './llm-provider.js';
import { ProviderError } from './provider-error.js';

/** Ids must be unique: results are matched back by them. Texts must be non-empty strings. */
export function assertValidRequests(requests: readonly ComparisonRequest[]): void {
  const seen = new Set<string>();
  requests.forEach((request, index) => {
    const id = request?.comparison_id;
    if (typeof id !== 'string' || id.length === 0)
      throw invalid(`comparison_id missing at index ${index}`, index);
    if (seen.has(id)) throw invalid(`duplicate comparison_id "${id}"`, index);
    seen.add(id);
    for (const field of ['user_prompt', 'essay_a', 'essay_b'] as const) {
      if (typeof request[field] !== 'string' || request[field].trim() === '') {
        throw invalid(`${field} missing or empty for comparison "${id}"`, index);
      }
    }
  });
}

export function assertValidRef(ref: ProviderBatchRef, provider: ProviderName): void {
  if (!ref || ref.provider !== provider || !Array.isArray(ref.parts)) {
    throw new ProviderError('INVALID_REQUEST', `Batch ref is not a ${provider} batch`, { provider });
  }
}

/**
 * A stored ref may only resume the submission it came from: same provider, model and key, and every stored
 * part must hold exactly the items re-planning puts in it (otherwise items would be lost or sent twice).
 */
export function assertResumable(
  ref: ProviderBatchRef,
  planned: PlannedPart<ComparisonRequest>[],
  provider: ProviderName,
  model: string,
  batchKey: string,
): void {
  const mismatch = (why: string) =>
    new ProviderError('CONFLICT', `resumeFrom does not match this submission: ${why}`, { provider });
  if (ref.provider !== provider || ref.model !== model) throw mismatch('different provider or model');
  if (ref.batch_key !== batchKey) throw mismatch('different batch key');
  if (ref.part_count !== planned.length) throw mismatch('different number of parts');
  for (const part of ref.parts) {
    const ids = planned[part.part_index]?.requests.map((r) => r.comparison_id);
    if (
      !ids ||
      ids.length !== part.comparison_ids.length ||
      ids.some((id, i) => id !== part.comparison_ids[i])
    ) {
      throw mismatch(`part ${part.part_index} holds different comparisons`);
    }
  }
}

function invalid(message: string, index: number): ProviderError {
  return new ProviderError('INVALID_REQUEST', message, { details: { index } });
}
