import type { LlmConfigOverrides } from '#contracts';

/** One comparison of `POST /api/v1/comparison/batch` in the essay-referencing form: its essays by id. */
export interface BatchComparisonItem {
  comparison_id: string;
  essay_a_id: string;
  essay_b_id: string;
  metadata: {
    assessment_id: string;
    pair_index: number;
    essay_a_id: string;
    essay_b_id: string;
    /** Our correlation id of the batch attempt, echoed back so each result is filed under its attempt. */
    cj_attempt: string;
  };
}

/**
 * The essay-referencing form: the shared prompt and each essay once, however many comparisons use it (a 20,000
 * essay assessment at k = 10 sends ~60 MB of essays instead of ~600 MB).
 */
export interface BatchSubmission {
  user_prompt: string;
  essays: Array<{ essay_id: string; text: string }>;
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
  /** Set when the batch went through the multi-part upload (too large for one request body). */
  upload?: { upload_id: string; parts: number };
}
