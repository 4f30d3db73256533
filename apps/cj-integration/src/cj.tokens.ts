/** Injection tokens of the CJ app's plain-object settings. */
export const CJ_TOPICS = Symbol('CJ_TOPICS');
export const CJ_SETTINGS = Symbol('CJ_SETTINGS');
/** The StepHandOff that runs slow assessment steps apart from the Kafka handlers. */
export const STEP_HAND_OFF = Symbol('STEP_HAND_OFF');
