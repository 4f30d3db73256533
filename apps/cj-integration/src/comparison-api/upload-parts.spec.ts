import { ComparisonApiError } from './comparison-api.error.js';
import type { BatchSubmission } from './comparison-api.types.js';
import { jsonBytes, splitIntoParts, submissionBytes } from './upload-parts.js';

/** Essays of varied length with multi-byte characters, so byte counts differ from character counts. */
function submission(essays: number, comparisons: number): BatchSubmission {
  return {
    user_prompt: 'Which essay argues better? «Judge the argument»',
    essays: Array.from({ length: essays }, (_, i) => ({
      essay_id: `e${i}`,
      text: `Essay ${i} — ${'ünïcödé and "quoted" text. '.repeat(1 + (i % 7))}`,
    })),
    comparisons: Array.from({ length: comparisons }, (_, i) => ({
      comparison_id: `a-p${i}`,
      essay_a_id: `e${i % essays}`,
      essay_b_id: `e${(i + 1) % essays}`,
      metadata: {
        assessment_id: 'a',
        pair_index: i,
        essay_a_id: `e${i % essays}`,
        essay_b_id: `e${(i + 1) % essays}`,
        cj_attempt: 'a:main:1',
      },
    })),
    llm_config_overrides: { provider_override: 'mock' },
    correlation_id: 'a:main:1',
    callback_topic: 'huleedu.cj_integration.comparison_result.v1',
    priority: 5,
  };
}

describe('splitIntoParts', () => {
  it('cuts essays then comparisons into parts within the byte limit, in order, losing nothing', () => {
    const whole = submission(60, 300);
    for (const max of [700, 2_000, 9_999, 50_000]) {
      const parts = splitIntoParts(whole, max);
      for (const part of parts) expect(jsonBytes(part)).toBeLessThanOrEqual(max);
      expect(parts.flatMap((p) => p.essays ?? [])).toEqual(whole.essays);
      expect(parts.flatMap((p) => p.comparisons ?? [])).toEqual(whole.comparisons);
      // Full parts: no part and its successor's first item would have fitted together.
      parts.slice(0, -1).forEach((part, i) => {
        const next = parts[i + 1];
        const merged = next.essays?.length
          ? { ...part, essays: [...(part.essays ?? []), next.essays[0]] }
          : { ...part, comparisons: [...(part.comparisons ?? []), next.comparisons![0]] };
        expect(jsonBytes(merged)).toBeGreaterThan(max);
      });
    }
    // One part carries the last essays and the first comparisons when both fit.
    expect(splitIntoParts(whole, 10_000_000)).toEqual([
      { essays: whole.essays, comparisons: whole.comparisons },
    ]);
  });

  it('refuses an item larger than one part, naming it (non-retryable)', () => {
    const whole = submission(3, 2);
    whole.essays[1].text = 'x'.repeat(5_000);
    let error: unknown;
    try {
      splitIntoParts(whole, 4_000);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ComparisonApiError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect((error as Error).message).toContain('essays[1]');
  });

  it('counts the bytes of the whole body exactly without building it', () => {
    for (const [essays, comparisons] of [
      [0, 0],
      [1, 0],
      [5, 17],
      [60, 300],
    ]) {
      const whole = submission(Math.max(essays, 1), comparisons);
      if (essays === 0) whole.essays = [];
      expect(submissionBytes(whole)).toBe(jsonBytes(whole));
    }
  });
});
