/** Injection tokens of the CJ app's plain-object settings. */
export const CJ_TOPICS = Symbol('CJ_TOPICS');
export const CJ_SETTINGS = Symbol('CJ_SETTINGS');
