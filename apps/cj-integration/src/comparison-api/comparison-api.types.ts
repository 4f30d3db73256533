import type { LlmConfigOverrides } from '#contracts';

/** One item of `POST /api/v1/comparison/batch`. */
export interface BatchComparisonItem {
  comparison_id: string;
  user_prompt: string;
  essay_a: string;
  essay_b: string;
  metadata: {
    assessment_id: string;
    pair_index: number;
    essay_a_id: string;
    essay_b_id: string;
    /** Our correlation id of the batch attempt, echoed back so each result is filed under its attempt. */
    cj_attempt: string;
  };
}

export interface BatchSubmission {
  comparisons: BatchComparisonItem[];
  llm_config_overrides: LlmConfigOverrides;
  correlation_id: string;
  callback_topic?: string;
  /** 0-10, higher is sooner; CJ work runs at the platform's CJ priority. */
  priority?: number;
}

export interface BatchAccepted {
  batch_id: string;
  status?: string;
  comparison_count?: number;
  status_url?: string;
}
