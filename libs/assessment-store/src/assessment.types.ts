import type {
  CJBatchAttemptV1,
  CJBatchKind,
  EventEnvelope,
  LlmConfigOverrides,
  ProviderName,
  Winner,
} from '#contracts';

/** active: batches running; finalizing: outcome decided and stored, being published; then terminal. */
export type AssessmentStatus = 'active' | 'finalizing' | 'completed' | 'failed';

export const TERMINAL_STATUSES: readonly AssessmentStatus[] = ['completed', 'failed'];

/** Batch status as the comparison service reports it, plus our own 'submitting' (not yet accepted). */
export type AttemptStatus = 'submitting' | 'accepted' | 'completed' | 'failed' | 'expired' | 'canceled';

export interface BatchAttempt extends CJBatchAttemptV1 {
  kind: CJBatchKind;
  /** Our correlation id for the batch request: deterministic, so a resubmission returns the same batch. */
  correlation_id: string;
  /** Pairs in this batch, ascending; null = every pair of the design (a main batch). */
  pair_indexes: number[] | null;
  status: AttemptStatus;
  /** Set once LLMBatchCompletedV1 arrived. */
  reported_count: number | null;
  /** null before the batch reported, and after it when its cost is unknown (a model without a known price). */
  cost_usd: number | null;
  individual_cost_usd: number | null;
  /** Adaptive assessments: the round this main batch carries (absent = 1, and on follow-ups). */
  round?: number;
}

/** One round of an adaptive assessment: its pairs are [first_pair, first_pair + pair_count). */
export interface AdaptiveRound {
  round: number;
  first_pair: number;
  pair_count: number;
  /** The first chain_a_count pairs of the round belong to chain A, the rest to chain B. */
  chain_a_count: number;
  /**
   * When present: the chain_b_count pairs after chain A's belong to chain B, and the rest of the round are joint
   * pairs (chosen from all judgements; scored, but outside the two chains' split-half). Absent (round 1, and rounds
   * stored before joint pairs existed): the rest of the round is chain B.
   */
  chain_b_count?: number;
  /** Filled when the round has been judged and the next step decided. */
  judgements: number | null;
  split_half_reliability: number | null;
  ssr: number | null;
}

/** The adaptive design of an assessment and its progress (absent for a balanced one). */
export interface AdaptiveDesignState {
  target_reliability: number;
  max_comparisons_per_essay: number;
  initial_comparisons_per_essay: number;
  comparisons_per_round: number;
  seed: number;
  rounds: AdaptiveRound[];
  /** Set when the rounds stop; afterwards the assessment finishes like a balanced one (follow-up, score). */
  stop_reason: 'target_reached' | 'cap_reached' | null;
}

export interface AssessmentRecord {
  assessment_id: string;
  /** Incremented on every write (compare-and-set). */
  version: number;
  status: AssessmentStatus;
  request_hash: string;
  /** Correlation id of the request event, carried on the outcome event. */
  correlation_id: string;
  created_at: string;
  deadline_at: number;
  essay_ids: string[];
  /** Size of the pair design (pair indexes 0..pair_count-1); the pairs themselves are stored apart, once. */
  pair_count: number;
  /** The cacheable part shared by every comparison (assignment, criteria, instructions). */
  user_prompt: string;
  llm_config: LlmConfigOverrides;
  /** Provider and model the comparison service resolved for the first batch; every later batch is pinned to them. */
  pinned: { provider: ProviderName; model: string } | null;
  batches: BatchAttempt[];
  /** Adaptive rounds (absent for a balanced design). */
  adaptive?: AdaptiveDesignState;
  /** The outcome event, stored before it is published so a redelivery publishes the same event again. */
  outcome: EventEnvelope | null;
}

/** What is kept of one LLMComparisonResultV1. */
export interface StoredResult {
  pair_index: number;
  winner: Winner | null;
  error_code: string | null;
  provider: ProviderName;
  model: string;
  /** null: unknown (the model has no known price), never counted as 0. */
  cost_estimate: number | null;
  /** The judge's reasons and confidence (absent on results stored before they were kept, and on errors). */
  justification?: string;
  confidence?: number;
}
