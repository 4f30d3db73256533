/** Caller-chosen ids (comparison_id, correlation_id, Idempotency-Key): safe in Redis keys, logs and provider custom ids. */
export const CALLER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const CALLER_ID_RULE = 'must be 1–128 characters of letters, digits, ".", "_", ":" or "-"';
