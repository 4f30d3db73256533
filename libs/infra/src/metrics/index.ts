export * from './app-metrics.js';
export * from './metrics-options.js';
export * from './metrics.controller.js';
export * from './metrics.module.js';
export * from './http-metrics.middleware.js';
