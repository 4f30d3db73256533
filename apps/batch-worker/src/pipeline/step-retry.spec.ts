import { describe, expect, it } from '@jest/globals';
import { decideStepRetry, stepBackoffMs } from './step-retry.js';

const settings = { baseMs: 1_000, maxMs: 60_000, submitAttempts: 3 };
const middle = () => 0.5; // jitter factor 1.0

describe('stepBackoffMs', () => {
  it('doubles per failure from the base, stops at the cap, and jitters by at most 20 %', () => {
    expect([0, 1, 2, 3].map((n) => stepBackoffMs(n, 1_000, 5_000, middle))).toEqual([1000, 2000, 4000, 5000]);
    expect(stepBackoffMs(40, 1_000, 5_000, middle)).toBe(5_000);
    expect(stepBackoffMs(0, 1_000, 5_000, () => 0)).toBe(800);
    expect(stepBackoffMs(0, 1_000, 5_000, () => 0.999_999)).toBe(1_200);
  });
});

describe('decideStepRetry', () => {
  it('gives a submit step its own budget of consecutive failures, then gives up', () => {
    expect(decideStepRetry('submit', 0, settings, null, 0, middle)).toEqual({ retry: true, delayMs: 1_000 });
    expect(decideStepRetry('submit', 1, settings, null, 0, middle)).toEqual({ retry: true, delayMs: 2_000 });
    expect(decideStepRetry('submit', 2, settings, null, 0, middle)).toEqual({
      retry: false,
      reason: 'submission failed 3 times in a row',
    });
  });

  it('never gives up polling a submitted batch before the provider window has passed', () => {
    const until = 24 * 3_600_000;
    const decision = decideStepRetry('poll', 10_000, settings, until, until - 1, middle);
    expect(decision).toEqual({ retry: true, delayMs: 60_000 });
    expect(decideStepRetry('poll', 0, settings, until, until, middle)).toEqual({
      retry: false,
      reason: 'the provider batch window has passed',
    });
  });
});
