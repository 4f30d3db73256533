import { describe, expect, it } from '@jest/globals';
import { readHiddenQuality, withHiddenQuality } from './hidden-quality.js';
import { judgeMock, packJudgement, unpackJudgement } from './mock-judge.js';

const settings = { seed: 42, errorRate: 0, expiryRate: 0 };
const pair = (id: string, qa: number, qb: number) => ({
  comparison_id: id,
  user_prompt: 'Judge.',
  essay_a: withHiddenQuality('Essay A text', qa),
  essay_b: withHiddenQuality('Essay B text', qb),
});

describe('hidden quality markers', () => {
  it('round-trips and replaces an existing marker', () => {
    const text = withHiddenQuality(withHiddenQuality('Body', 0.2), 0.73);
    expect(readHiddenQuality(text)).toBe(0.73);
    expect(text.match(/\[\[quality:/g)).toHaveLength(1);
    expect(readHiddenQuality('no marker')).toBeUndefined();
    expect(() => withHiddenQuality('x', -1)).toThrow(RangeError);
  });
});

describe('judgeMock', () => {
  it('is deterministic per comparison and seed', () => {
    const request = pair('c-1', 0.5, 0.52);
    expect(judgeMock(request, 'sys', settings)).toEqual(judgeMock(request, 'sys', settings));
  });

  it('prefers the better essay with a win rate that grows with the quality gap', () => {
    const winRate = (gap: number) => {
      let wins = 0;
      for (let i = 0; i < 2_000; i += 1) {
        if (judgeMock(pair(`g${gap}-${i}`, 0.5 + gap, 0.5), 'sys', settings).winner === 'Essay A') wins += 1;
      }
      return wins / 2_000;
    };
    const small = winRate(0.1);
    const large = winRate(0.5);
    expect(small).toBeGreaterThan(0.62); // logistic(0.8) ≈ 0.69
    expect(small).toBeLessThan(0.76);
    expect(large).toBeGreaterThan(0.95);
    expect(winRate(-0.3)).toBeLessThan(0.2);
  });

  it('fails roughly the configured share of items, the same ones every time', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => pair(`e-${i}`, 0.5, 0.5));
    const failed = (rate: number) =>
      ids.filter((r) => judgeMock(r, 's', { ...settings, errorRate: rate }).outcome === 'error');
    expect(failed(0.1).length / 2_000).toBeGreaterThan(0.08);
    expect(failed(0.1).length / 2_000).toBeLessThan(0.12);
    expect(failed(0.1)).toEqual(failed(0.1));
    expect(failed(0)).toHaveLength(0);
  });

  it('estimates tokens from text length and packs losslessly', () => {
    const judgement = judgeMock(pair('t', 0.9, 0.1), 'system prompt', settings);
    expect(judgement.usage.prompt_tokens).toBeGreaterThan(10);
    expect(judgement.usage.total_tokens).toBe(
      judgement.usage.prompt_tokens + judgement.usage.completion_tokens,
    );
    expect(judgement.confidence).toBeGreaterThanOrEqual(4);
    expect(unpackJudgement(packJudgement(judgement))).toEqual(judgement);
  });
});
