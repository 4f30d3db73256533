import { jest } from '@jest/globals';

// Integration specs talk to real Redis and Kafka; jest ignores `testTimeout` in a project config.
jest.setTimeout(60_000);
