// The core of the provider library: what every provider folder builds on.
export * from './answer-parser.js';
export * from './base-batch-provider.js';
export * from './batch-aggregation.js';
export * from './chunking.js';
export * from './concurrency.js';
export * from './config-resolver.js';
export * from './custom-id.js';
export * from './error-normalizer.js';
export * from './llm-provider.js';
export * from './pricing.js';
export * from './prompt.js';
export * from './provider-config-error.js';
export * from './provider-config.js';
export * from './provider-deps.js';
export * from './provider-error.js';
export * from './request-validation.js';
export * from './resilience/index.js';
