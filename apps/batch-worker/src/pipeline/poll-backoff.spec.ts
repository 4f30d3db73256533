import { describe, expect, it } from '@jest/globals';
import { toBullPriority } from '#batch-store';
import { choosePollDelayMs, pollDelayMs, type PollPlan } from './poll-backoff.js';

describe('pollDelayMs', () => {
  it('grows 1.5x per poll from the base and stops at the cap', () => {
    expect([0, 1, 2, 3].map((n) => pollDelayMs(n, 1000, 3000))).toEqual([1000, 1500, 2250, 3000]);
    expect(pollDelayMs(50, 1000, 3000)).toBe(3000);
  });
  it('never goes below the base when the cap is misconfigured lower', () => {
    expect(pollDelayMs(0, 1000, 10)).toBe(1000);
  });
});

describe('choosePollDelayMs', () => {
  const plan = (patch: Partial<PollPlan>): PollPlan => ({
    pollsSoFar: 0,
    baseMs: 30_000,
    maxMs: 300_000,
    comparisons: 100,
    notified: false,
    safetyMs: 600_000,
    sinceSubmitMs: 0,
    ...patch,
  });

  it('only polls as a safety net when the provider will notify', () => {
    expect(choosePollDelayMs(plan({ notified: true, comparisons: 10_000, pollsSoFar: 3 }))).toBe(600_000);
  });

  it('polls a larger batch less eagerly (x1 at 100 comparisons, x3 at 10,000), growing to the cap', () => {
    expect(choosePollDelayMs(plan({ comparisons: 100 }))).toBe(30_000);
    expect(choosePollDelayMs(plan({ comparisons: 10_000 }))).toBe(90_000);
    expect(choosePollDelayMs(plan({ comparisons: 10_000, pollsSoFar: 1 }))).toBe(135_000);
    expect(choosePollDelayMs(plan({ comparisons: 10_000, pollsSoFar: 9 }))).toBe(300_000);
  });

  it("first polls when the provider's batches of this size usually end, then backs off as before", () => {
    expect(choosePollDelayMs(plan({ expectedTurnaroundMs: 200_000, sinceSubmitMs: 20_000 }))).toBe(180_000);
    expect(choosePollDelayMs(plan({ expectedTurnaroundMs: 40_000, sinceSubmitMs: 20_000 }))).toBe(30_000);
    expect(choosePollDelayMs(plan({ expectedTurnaroundMs: 200_000, sinceSubmitMs: 250_000 }))).toBe(30_000);
    expect(choosePollDelayMs(plan({ expectedTurnaroundMs: 9_000_000, sinceSubmitMs: 0 }))).toBe(300_000);
  });
});

describe('toBullPriority', () => {
  it('maps 0–10 (higher sooner) onto BullMQ 11–1 (lower sooner) and clamps', () => {
    expect([10, 8, 5, 0].map(toBullPriority)).toEqual([1, 3, 6, 11]);
    expect(toBullPriority(99)).toBe(1);
    expect(toBullPriority(-3)).toBe(11);
  });
});
