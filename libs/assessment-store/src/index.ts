export * from './assessment.types.js';
export * from './assessment.repository.js';
export * from './assessment-keys.js';
export * from './assessment-submission.repository.js';
export * from './assessment-upload.repository.js';
