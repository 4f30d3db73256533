// Test helpers of the provider library (`#llm-providers/testing`). Append-only: each provider adds its fake here.
export * from './contract-suite.js';
export * from './mock-harness.js';
export * from './test-provider-deps.js';
export * from './anthropic-fake-server.js';
export * from './openai-fake-server.js';
export * from './fake-judge.js';
export * from './google-fake-server.js';
export * from './openrouter-fake-server.js';
export * from './webhook-sender.js';
