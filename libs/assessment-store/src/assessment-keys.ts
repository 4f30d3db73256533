/** Every key of the assessment store starts with this (shared by cj-integration and the API). */
export const CJ_KEY_PREFIX = 'cj';

/**
 * Every key of one assessment carries its id as hash tag (`{id}`): one Redis Cluster slot, so its multi-key
 * scripts and transactions stay atomic on a cluster.
 */
export function assessmentKey(assessmentId: string, suffix = ''): string {
  return `${CJ_KEY_PREFIX}:assessment:{${assessmentId}}${suffix}`;
}

/** The API's record of an assessment submitted over REST (owner, quote, refusal). */
export function submissionKey(assessmentId: string): string {
  return assessmentKey(assessmentId, ':submission');
}

/** The essays of a REST assessment too large for one Kafka record (CJAssessmentRequestedV1.essays_ref). */
export function requestEssaysKey(assessmentId: string): string {
  return assessmentKey(assessmentId, ':request_essays');
}

/**
 * A multi-part upload of one REST assessment (POST /api/v1/assessments/uploads): meta hash, `:parts` (one JSON
 * array of essays per part number) and `:essay_ids` (essay id → part number). All carry the upload id as hash tag
 * (one cluster slot); a sealed upload's `:parts` is where its `essays_ref` points.
 */
export function assessmentUploadKey(uploadId: string, suffix: '' | ':parts' | ':essay_ids' = ''): string {
  return `${CJ_KEY_PREFIX}:assessment-upload:{${uploadId}}${suffix}`;
}
