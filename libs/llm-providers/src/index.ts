// Public surface of the provider library.
export * from './core/index.js';
export * from './core/provider-factories.js';
export * from './core/provider-registry.js';
export * from './mock/index.js';
export * from './providers.module.js';
