import type { LlmConfigOverrides, ProviderName } from '../comparison/comparison.types.js';

/** One essay of an assessment. */
export interface CJEssayV1 {
  essay_id: string;
  text: string;
}

/**
 * The one provider/model/settings every comparison of an assessment uses. Field names follow the comparison
 * API's `llm_config_overrides`, so the same object can be sent on.
 */
export type CJLlmConfigV1 = LlmConfigOverrides;

/**
 * How the pairs are chosen. 'balanced' (default): one batch of a balanced, non-adaptive design. 'adaptive':
 * round 1 is the balanced design at a small k, then each round is ONE batch (same provider/model/config) of the
 * most informative new pairs given the current fit, until the split-half reliability reaches the target or the cap.
 */
export interface CJDesignV1 {
  mode: 'balanced' | 'adaptive';
  /** adaptive (required): stop once the two-chain split-half reliability reaches this (0.5–0.99). */
  target_reliability?: number;
  /** adaptive (required): no essay is put in more comparisons than this (2–200). */
  max_comparisons_per_essay?: number;
  /** adaptive: round 1's balanced k (default 2). */
  initial_comparisons_per_essay?: number;
  /** adaptive: new comparisons per essay, on average, in each later round (default 1). */
  comparisons_per_round?: number;
}

/** Request to rank an essay set by comparative judgement (topic `<prefix>.els.cj_assessment.requested.v1`). */
/**
 * Written by the api only (POST /api/v1/assessments): the request's essays did not fit one Kafka record, so they
 * are in the assessment store (Redis, shared by the api and cj-integration) and the event carries `essays: []`
 * and this reference. cj-integration loads and checks them (count, sha256 of the stored JSON) before anything
 * else. Direct Kafka producers send their essays inline and are bounded by one Kafka record.
 */
export interface CJEssaysRefV1 {
  store: 'assessment-store';
  count: number;
  /**
   * sha256 (hex) of the stored JSON array of essays; for an uploaded assessment (`upload_id` set), sha256 of the
   * concatenated sha256 hex digests of its parts' JSON arrays, in part-number order.
   */
  sha256: string;
  /**
   * Set when the essays were uploaded in parts (POST /api/v1/assessments/uploads): they stay in that sealed
   * upload's parts, one JSON array per part, read in part-number order (never copied into one value).
   */
  upload_id?: string;
  /** With `upload_id`: how many parts hold the essays. */
  parts?: number;
}

export interface CJAssessmentRequestedV1 {
  assessment_id: string;
  /** Inline essays; empty when `essays_ref` is set. */
  essays: CJEssayV1[];
  /** Set instead of inline essays by the api for a REST assessment larger than one Kafka record. */
  essays_ref?: CJEssaysRefV1;
  /** The assignment (task) the essays answer. */
  assignment: string;
  /** What makes an essay better (rubric / criteria text). */
  criteria: string;
  /** Extra instructions for the judge (optional). */
  instructions?: string;
  llm_config: CJLlmConfigV1;
  /**
   * The existing platform's field name for the same config. Accepted when it agrees with `llm_config`; a request
   * whose two configs disagree is refused (one config per assessment).
   */
  llm_config_overrides?: CJLlmConfigV1;
  /** Judgements each essay takes part in (default 10). */
  comparisons_per_essay?: number;
  /** Judge every pair in both orders (position-bias counter-balancing). */
  both_orders?: boolean;
  /** Seed of the pair design (default derived from the assessment id). */
  seed?: number;
  /** Balanced one-shot (default) or adaptive rounds. */
  design?: CJDesignV1;
}

export interface CJEssayRankingV1 {
  essay_id: string;
  /** Bradley-Terry ability (logit scale, sum-to-zero). */
  score: number;
  se: number | null;
  rank: number;
  wins: number;
  losses: number;
  comparisons: number;
}

export type CJBatchKind = 'main' | 'follow_up';

/** One batch submitted for an assessment, as reported in the outcome events. */
export interface CJBatchAttemptV1 {
  batch_id: string;
  kind: CJBatchKind;
  /** 1-based attempt number within its kind. */
  attempt: number;
  comparison_count: number;
  /** The batch's final status as reported by the comparison service (or 'pending'). */
  status: string;
  succeeded: number;
  failed: number;
  /** Adaptive assessments: the round this main batch carried (absent on balanced designs and follow-ups). */
  round?: number;
}

/**
 * The position effect of the scoring model P(A beats B) = sigmoid(theta_a - theta_b + eta): eta is the log-odds
 * bonus of the essay shown first ('Essay A'); 0 = no position bias. Rankings are corrected for it.
 */
export interface CJPositionEffectV1 {
  estimate: number;
  /** Standard error; null when it could not be computed. */
  se: number | null;
  /** 95 % confidence interval (estimate ± 1.96·SE); null with the SE. */
  ci_lower: number | null;
  ci_upper: number | null;
}

/** One adaptive round as reported in the outcome. */
export interface CJAssessmentRoundV1 {
  round: number;
  /** Comparisons in this round's batch. */
  comparisons: number;
  /** Successful judgements after this round (all rounds so far). */
  judgements: number;
  /** Two-chain split-half reliability after this round (the stopping rule's figure). */
  split_half_reliability: number | null;
  /** SSR after this round (inflated by adaptive pairing: shown for comparison, never used to stop). */
  ssr: number | null;
}

export interface CJAssessmentDesignOutcomeV1 {
  mode: 'balanced' | 'adaptive';
  /** Batches of new pairs (1 for a balanced design); retries and follow-ups are not rounds. */
  rounds: number;
  target_reliability: number | null;
  max_comparisons_per_essay: number | null;
  /** Why the rounds stopped: 'single_batch' (balanced), 'target_reached', 'cap_reached' (no new pair fits the cap). */
  stop_reason: 'single_batch' | 'target_reached' | 'cap_reached';
  /** Adaptive only: the figures after every round. */
  round_history: CJAssessmentRoundV1[];
}

export interface CJAssessmentCompletedV1 {
  assessment_id: string;
  rankings: CJEssayRankingV1[];
  /** Scale separation reliability; null when it cannot be computed. */
  ssr: number | null;
  position_bias: { a_wins: number; total: number; share: number | null };
  /** The fitted position (Essay A) effect with SE and CI (added later: absent on older events). */
  position_effect?: CJPositionEffectV1 | null;
  /**
   * Split-half reliability (Spearman-Brown): random halves of the judgements for a balanced design, the two
   * independent chains for an adaptive one. Unlike SSR not inflated by adaptive pairing. Absent on older events.
   */
  split_half_reliability?: number | null;
  /** The design and, for adaptive assessments, its rounds (absent on older events). */
  design?: CJAssessmentDesignOutcomeV1;
  provider: ProviderName;
  model: string;
  comparisons_requested: number;
  comparisons_succeeded: number;
  comparisons_failed: number;
  batches: CJBatchAttemptV1[];
  /** null when a batch's cost is unknown (a model without a known price): unknown, never 0. */
  cost_usd: number | null;
  /** What the same comparisons would have cost as individual requests (null: unknown). */
  individual_cost_usd: number | null;
  savings_usd: number | null;
  duration_ms: number;
  correlation_id: string;
  /**
   * Set when the ranking did not fit one Kafka record: `rankings` is then empty and the ranking went out, in rank
   * order, as `part_count` CJAssessmentRankingsPartV1 events on this topic with this assessment's key, published
   * before this event. Absent when `rankings` holds the whole ranking.
   */
  rankings_parts?: CJRankingsPartsV1;
}

export interface CJRankingsPartsV1 {
  part_count: number;
  /** Essays ranked across all parts. */
  ranking_count: number;
}

/** One slice of a ranking too large for one record (see CJAssessmentCompletedV1.rankings_parts). */
export interface CJAssessmentRankingsPartV1 {
  assessment_id: string;
  /** 1-based; parts concatenated in `part` order give the ranking in rank order. */
  part: number;
  part_count: number;
  rankings: CJEssayRankingV1[];
  correlation_id: string;
}

export const CJ_FAILURE_REASONS = [
  /** The request failed validation. */
  'INVALID_REQUEST',
  /** The request carried more than one provider/model/config. */
  'MIXED_LLM_CONFIG',
  /** The comparison service refused the batch (4xx). */
  'SUBMISSION_REFUSED',
  /** The comparison service could not be reached or kept failing (5xx). */
  'SUBMISSION_FAILED',
  /** The batch failed or expired on every allowed attempt. */
  'BATCH_FAILED',
  /** Fewer comparisons succeeded than the configured minimum success rate, after the follow-up batch. */
  'INSUFFICIENT_COMPARISONS',
  /** A result came back from another provider/model than the assessment's. */
  'CONFIG_MISMATCH',
  /** The assessment did not finish within its deadline. */
  'DEADLINE_EXCEEDED',
  /** The judgements could not be scored. */
  'SCORING_FAILED',
  /** The owner cancelled the assessment (POST /api/v1/assessments/{id}/cancel). */
  'CANCELLED',
] as const;

export type CJFailureReason = (typeof CJ_FAILURE_REASONS)[number];

export interface CJAssessmentFailedV1 {
  assessment_id: string;
  reason_code: CJFailureReason;
  message: string;
  /** Validation problems or other specifics (no essay text). */
  details?: Record<string, unknown>;
  /** Every batch that was tried, in order. */
  batches: CJBatchAttemptV1[];
  provider: ProviderName | null;
  model: string | null;
  comparisons_requested: number;
  comparisons_succeeded: number;
  comparisons_failed: number;
  correlation_id: string;
}
