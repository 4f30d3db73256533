import { averageRanks, spearman } from './spearman.js';

describe('spearman', () => {
  it('is 1 for any increasing relation and -1 for a decreasing one', () => {
    const x = [1, 2, 3, 4, 5];
    expect(
      spearman(
        x,
        x.map((v) => v ** 3),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        x,
        x.map((v) => -Math.exp(v)),
      ),
    ).toBeCloseTo(-1, 12);
  });

  it('matches the textbook value with ties (average ranks)', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    // Pearson of ranks [1,2.5,2.5,4] and [1,2,3,4]: co-deviation 4.5, squares 4.5 and 5 -> 4.5 / sqrt(22.5).
    expect(spearman([10, 20, 20, 30], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
  });

  it('rejects mismatched or too-short input', () => {
    expect(() => spearman([1, 2], [1])).toThrow(RangeError);
    expect(() => spearman([1], [1])).toThrow(RangeError);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
