export * from './circuit-breaker-registry.js';
export * from './provider-call-counter.js';
export * from './resilient-caller.js';
export * from './retry-policy.js';
