import type { BatchStatus } from '#batch-store';

/** What the queue needs to time the next poll of a provider batch. */
export interface PollHint {
  provider: string;
  comparisons: number;
  /** ISO time the provider batch was submitted. */
  submittedAt?: string;
}

/** What a job run asks its queue to do next. */
export type StepOutcome =
  | { kind: 'done'; status: BatchStatus | 'missing' | 'not_claimed' }
  /** The provider batch is still running: run this job again after the next poll interval. */
  | { kind: 'poll'; hint?: PollHint }
  /** Its provider (or model) is paused after a 429 or an open circuit: run this job again after `delayMs`. */
  | { kind: 'paused'; delayMs: number }
  /** The step failed transiently: run it again after `delayMs` (counts against the step's own budget). */
  | { kind: 'retry'; delayMs: number; error: string };
