/** Every key of the assessment store starts with this (shared by cj-integration and the API). */
export const CJ_KEY_PREFIX = 'cj';

/** The API's record of an assessment submitted over REST (owner, quote, refusal). */
export function submissionKey(assessmentId: string): string {
  return `${CJ_KEY_PREFIX}:assessment:${assessmentId}:submission`;
}

/** The essays of a REST assessment too large for one Kafka record (CJAssessmentRequestedV1.essays_ref). */
export function requestEssaysKey(assessmentId: string): string {
  return `${CJ_KEY_PREFIX}:assessment:${assessmentId}:request_essays`;
}
