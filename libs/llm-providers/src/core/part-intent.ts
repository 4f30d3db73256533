import type { CreatedPart } from './batch-part.js';
import type { CustomIdMap } from './custom-id.js';

/**
 * What a provider whose batches carry no tag of ours (Anthropic, OpenRouter) records, in the stored ref, BEFORE it
 * creates a part: a worker killed between the create response and the write of the part's id leaves this behind,
 * and the next attempt uses it to find that batch instead of paying for the part twice.
 */
export interface PartIntent {
  part_index: number;
  /** ISO time just before the (first) create call: a batch created earlier cannot be this part. */
  created_after: string;
  request_count: number;
  first_custom_id: string;
  last_custom_id: string;
}

/** A listed provider batch that could be the intended part (created after the intent, same request count). */
export interface IntentCandidate {
  provider_batch_id: string;
  /** Results are readable only once a batch has ended; before that it can be neither proven nor ruled out. */
  ended: boolean;
  /** Items it finished successfully (to keep the most useful of several proven copies). */
  succeeded: number;
}

/**
 * - `adopt`: this batch is proven ours (its results hold exactly the part's custom ids); `duplicates` are other
 *   proven copies. Proof needs results, and results exist only once a batch has ended, so a proven duplicate has
 *   always finished: there is nothing left to cancel (its cost is spent); it is reported, never read.
 * - `wait`: no candidate is proven, but some have not ended and may be ours: keep the intent and look again later
 *   rather than create the part a second time.
 * - `none`: nothing can be ours: create the part.
 */
export type IntentRecovery =
  | { kind: 'adopt'; part: CreatedPart; duplicates: string[] }
  | { kind: 'wait'; pending: string[] }
  | { kind: 'none' };

/** Provider clocks may run behind ours: candidates are listed from this long before the intent. */
export const INTENT_CLOCK_SKEW_MS = 10 * 60 * 1000;

export function newPartIntent(
  partIndex: number,
  ids: CustomIdMap,
  now: number,
  earlier?: PartIntent,
): PartIntent {
  return {
    part_index: partIndex,
    // A repeated attempt keeps the first time, so a batch of any earlier attempt stays in the window.
    created_after: earlier?.part_index === partIndex ? earlier.created_after : new Date(now).toISOString(),
    request_count: ids.customIds.length,
    first_custom_id: ids.customIds[0],
    last_custom_id: ids.customIds[ids.customIds.length - 1],
  };
}

/** A candidate is ours only if its results carry exactly the part's custom ids (first and last included). */
export function provesIntent(
  intent: PartIntent,
  expected: CustomIdMap,
  resultIds: readonly string[],
): boolean {
  if (resultIds.length !== intent.request_count || expected.customIds.length !== intent.request_count)
    return false;
  const seen = new Set(resultIds);
  return (
    seen.size === intent.request_count &&
    seen.has(intent.first_custom_id) &&
    seen.has(intent.last_custom_id) &&
    expected.customIds.every((id) => seen.has(id))
  );
}

/**
 * The decision, the same for every provider: ended candidates are proven or ruled out by their results; the
 * proven one that finished most is adopted, other proven copies are duplicates; without a proven one, a
 * candidate still running means wait (it may be ours: creating now could pay for the part twice), none means
 * create. Waiting is bounded: a provider batch ends (completed, expired, cancelled) within its 24-hour window.
 */
export async function recoverIntendedPart(
  candidates: readonly IntentCandidate[],
  prove: (candidate: IntentCandidate) => Promise<boolean>,
  toPart: (candidate: IntentCandidate) => CreatedPart,
): Promise<IntentRecovery> {
  const proven: IntentCandidate[] = [];
  const pending: string[] = [];
  for (const candidate of candidates) {
    if (!candidate.ended) pending.push(candidate.provider_batch_id);
    else if (await prove(candidate)) proven.push(candidate);
  }
  if (proven.length === 0) return pending.length > 0 ? { kind: 'wait', pending } : { kind: 'none' };
  const [kept, ...duplicates] = [...proven].sort((a, b) => b.succeeded - a.succeeded);
  return {
    kind: 'adopt',
    part: toPart(kept),
    duplicates: duplicates.map((d) => d.provider_batch_id),
  };
}
