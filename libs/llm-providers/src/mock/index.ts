export * from './hidden-quality.js';
export * from './mock-judge.js';
export * from './mock.provider.js';
