import type { ResolvedLlmConfig } from '#contracts';
import type { CustomIdMap } from './custom-id.js';
import type { BatchNotifyTarget, ProviderBatchRef } from './llm-provider.js';

/** The wire-step vocabulary between BaseBatchProvider and a provider: one provider-side batch ("part"). */

/** What a provider needs to create one provider-side batch. */
export interface PartContext {
  batchKey: string;
  partIndex: number;
  partCount: number;
  /** `customIds.customIds[i]` is the id to send for `requests[i]`; map results back with `comparisonIdOf`. */
  customIds: CustomIdMap;
  config: ResolvedLlmConfig;
  /** The batch's completion webhook, when the deployment takes them (SubmitBatchOptions.notify). */
  notify?: BatchNotifyTarget;
}

export interface CreatedPart {
  provider_batch_id: string;
  /** JSON-serialisable; stored in the ref and handed back to the status/results/cancel steps. */
  state?: Record<string, unknown>;
}

/** What identifies a part that an interrupted submission may have created without recording it. */
export interface PartLookup {
  batchKey: string;
  partIndex: number;
  model: string;
  /** Epoch ms: a provider batch created before this cannot belong to this submission. */
  notBefore: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Provider clocks may run behind ours: a ref's submitted_at is moved back this much before comparing. */
const CLOCK_SKEW_MS = 10 * 60 * 1000;

/**
 * The oldest creation time a part of this submission can have: the stored ref's start (less clock skew), or,
 * when nothing was stored, a day back (a submission that started longer ago has long been retried or failed).
 */
export function recoveryWindowStart(resumeFrom: ProviderBatchRef | undefined, now: number): number {
  const startedAt = resumeFrom ? Date.parse(resumeFrom.submitted_at) : Number.NaN;
  return Number.isFinite(startedAt) ? startedAt - CLOCK_SKEW_MS : now - DAY_MS;
}
