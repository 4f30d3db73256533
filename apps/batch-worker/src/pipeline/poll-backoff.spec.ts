import { describe, expect, it } from '@jest/globals';
import { toBullPriority } from '#batch-store';
import { pollDelayMs } from './poll-backoff.js';

describe('pollDelayMs', () => {
  it('grows 1.5x per poll from the base and stops at the cap', () => {
    expect([0, 1, 2, 3].map((n) => pollDelayMs(n, 1000, 3000))).toEqual([1000, 1500, 2250, 3000]);
    expect(pollDelayMs(50, 1000, 3000)).toBe(3000);
  });
  it('never goes below the base when the cap is misconfigured lower', () => {
    expect(pollDelayMs(0, 1000, 10)).toBe(1000);
  });
});

describe('toBullPriority', () => {
  it('maps 0–10 (higher sooner) onto BullMQ 11–1 (lower sooner) and clamps', () => {
    expect([10, 8, 5, 0].map(toBullPriority)).toEqual([1, 3, 6, 11]);
    expect(toBullPriority(99)).toBe(1);
    expect(toBullPriority(-3)).toBe(11);
  });
});
