export * from './assessment.types.js';
export * from './assessment.repository.js';
