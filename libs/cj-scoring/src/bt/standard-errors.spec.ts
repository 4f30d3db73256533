import { generatePairs } from '../design/generate-pairs.js';
import { simulatedEssays, simulateJudgements } from '../testing/simulate-judgements.js';
import { buildComparisonTable, indexEssays } from './comparison-table.js';
import { newtonFit } from './newton-fit.js';
import { approximateStandardErrors, exactStandardErrors, informationWeights } from './standard-errors.js';

describe('standard errors', () => {
  const { ids, abilities } = simulatedEssays(300, 8, 0.3);
  const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 16, seed: 9 });
  const table = buildComparisonTable(indexEssays(ids), simulateJudgements(pairs, abilities, 10));
  const fit = newtonFit(table, { ridge: 1e-5, maxIterations: 100, tolerance: 1e-10 });
  const weights = informationWeights(table, fit.theta);
  const exact = exactStandardErrors(table, weights, 1e-5)!;

  it('exact SEs are the diagonal of the pseudo-inverse of the information', () => {
    const small = simulatedEssays(12, 3, 0.5);
    const smallPairs = generatePairs({ essayIds: small.ids, comparisonsPerEssay: 6, seed: 4 });
    const t = buildComparisonTable(
      indexEssays(small.ids),
      simulateJudgements(smallPairs, small.abilities, 5),
    );
    const f = newtonFit(t, { ridge: 1e-5, maxIterations: 100, tolerance: 1e-10 });
    const w = informationWeights(t, f.theta);
    const n = small.ids.length;
    // Independent route: pinv(L) = (L + 11'/n)^-1 - 11'/n, inverted by Gauss-Jordan.
    const a = Array.from({ length: n }, (_, i) =>
      Array.from({ length: 2 * n }, (_, j) => (j < n ? 1 / n : j - n === i ? 1 : 0)),
    );
    for (let e = 0; e < t.pairCount; e++) {
      const [i, j] = [t.first[e], t.second[e]];
      a[i][i] += w[e];
      a[j][j] += w[e];
      a[i][j] -= w[e];
      a[j][i] -= w[e];
    }
    for (let c = 0; c < n; c++) {
      const pivot = a[c][c];
      for (let j = 0; j < 2 * n; j++) a[c][j] /= pivot;
      for (let r = 0; r < n; r++) {
        if (r === c) continue;
        const factor = a[r][c];
        for (let j = 0; j < 2 * n; j++) a[r][j] -= factor * a[c][j];
      }
    }
    const se = exactStandardErrors(t, w, 1e-5)!;
    for (let i = 0; i < n; i++) expect(se[i]).toBeCloseTo(Math.sqrt(a[i][n + i] - 1 / n), 4);
  });

  it('approximate (cavity) SEs track the exact ones on a sparse random design', () => {
    const approximate = approximateStandardErrors(table, weights, 1e-5);
    let worst = 0;
    for (let i = 0; i < ids.length; i++) worst = Math.max(worst, Math.abs(approximate[i] / exact[i] - 1));
    expect(worst).toBeLessThan(0.02);
  });
});
