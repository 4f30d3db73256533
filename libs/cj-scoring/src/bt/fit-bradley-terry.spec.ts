import { CjScoringError } from '../errors/cj-scoring-error.js';
import { Mulberry32 } from '../random/mulberry32.js';
import { generatePairs } from '../design/generate-pairs.js';
import { simulatedEssays, simulateJudgements } from '../testing/simulate-judgements.js';
import { spearman } from '../stats/spearman.js';
import type { Judgement, ScoringResult } from '../types.js';
import { fitBradleyTerry } from './fit-bradley-terry.js';
import { hunterMmScores } from './hunter-mm.js';
import { BASEBALL_REFERENCE, BASEBALL_TEAMS, baseballJudgements } from './fixtures/baseball-1987.js';

const scoreOf = (result: ScoringResult, id: string) => result.scores.find((s) => s.essay_id === id)!;

function randomStudy(seed: number, essays = 30, comparisonsPerEssay = 12, abilitySd = 1) {
  const { ids, abilities } = simulatedEssays(essays, seed, abilitySd);
  const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay, seed: seed + 1 });
  return { ids, abilities, judgements: simulateJudgements(pairs, abilities, seed + 2) };
}

describe('fitBradleyTerry on the 1987 AL East data (Agresti 2002, Table 10.11)', () => {
  const result = fitBradleyTerry(BASEBALL_TEAMS, baseballJudgements());
  const baltimore = scoreOf(result, 'Baltimore').score;

  it.each(Object.entries(BASEBALL_REFERENCE))('%s matches BradleyTerry2 with Baltimore at 0', (team, ref) => {
    expect(scoreOf(result, team).score - baltimore).toBeCloseTo(ref.estimate, 4);
  });

  it('centres the scores (sum zero) and converges', () => {
    expect(result.scores.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(0, 10);
    expect(result.converged).toBe(true);
  });

  it('reproduces the reference-coded SEs by inverting the 6x6 information block', () => {
    const k = BASEBALL_TEAMS.length;
    const theta = BASEBALL_TEAMS.map((t) => scoreOf(result, t).score);
    const info = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const { essay_a, essay_b } of baseballJudgements()) {
      const i = BASEBALL_TEAMS.indexOf(essay_a);
      const j = BASEBALL_TEAMS.indexOf(essay_b);
      const p = 1 / (1 + Math.exp(theta[j] - theta[i]));
      const w = p * (1 - p);
      info[i][i] += w;
      info[j][j] += w;
      info[i][j] -= w;
      info[j][i] -= w;
    }
    // Baltimore (index 0) is the reference: drop its row and column and invert by Gauss-Jordan.
    const block = info.slice(1).map((row) => row.slice(1));
    const inverse = invert(block);
    BASEBALL_TEAMS.slice(1).forEach((team, r) => {
      const ref = BASEBALL_REFERENCE[team as keyof typeof BASEBALL_REFERENCE];
      expect(Math.sqrt(inverse[r][r])).toBeCloseTo(ref.se, 3);
    });
  });

  it('reports sum-to-zero SEs that agree with the pseudo-inverse of the information', () => {
    // Sum-to-zero variances are smaller than reference-coded ones (the reference team carries no error there).
    for (const s of result.scores) {
      expect(s.se).toBeGreaterThan(0.19);
      expect(s.se).toBeLessThan(0.24);
    }
    expect(scoreOf(result, 'Baltimore').se).toBeCloseTo(0.2325, 3);
    expect(scoreOf(result, 'Milwaukee').se).toBeCloseTo(0.2074, 3);
  });

  it('ranks, counts and position bias', () => {
    expect(result.scores.map((s) => s.essay_id)).toEqual([
      'Milwaukee',
      'Detroit',
      'Toronto',
      'New York',
      'Boston',
      'Cleveland',
      'Baltimore',
    ]);
    expect(result.scores.map((s) => s.rank)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(scoreOf(result, 'Milwaukee')).toMatchObject({ wins: 50, losses: 28, comparisons: 78 });
    // Home team shown as A: 154 home wins of 273 games.
    expect(result.position_bias).toEqual({ a_wins: 154, total: 273, share: 154 / 273 });
  });

  it('ridge 0 (plain MLE), the default ridge and independent MM agree to 4 decimals', () => {
    const plain = fitBradleyTerry(BASEBALL_TEAMS, baseballJudgements(), { ridge: 0 });
    const mm = hunterMmScores(BASEBALL_TEAMS, baseballJudgements(), {
      maxIterations: 100000,
      tolerance: 1e-12,
    });
    expect(mm.converged).toBe(true);
    BASEBALL_TEAMS.forEach((team, i) => {
      expect(scoreOf(result, team).score).toBeCloseTo(scoreOf(plain, team).score, 4);
      expect(scoreOf(result, team).score).toBeCloseTo(mm.theta[i], 4);
    });
  });
});

function invert(matrix: number[][]): number[][] {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    const pivot = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = a[r][c];
      for (let j = 0; j < 2 * n; j++) a[r][j] -= factor * a[c][j];
    }
  }
  return a.map((row) => row.slice(n));
}

describe('fitBradleyTerry on awkward data', () => {
  it('fits a disconnected comparison graph with finite, centred scores', () => {
    const judgements: Judgement[] = [
      { essay_a: 'a', essay_b: 'b', winner: 'Essay A' },
      { essay_a: 'b', essay_b: 'a', winner: 'Essay A' },
      { essay_a: 'a', essay_b: 'b', winner: 'Essay A' },
      { essay_a: 'c', essay_b: 'd', winner: 'Essay B' },
      { essay_a: 'c', essay_b: 'd', winner: 'Essay A' },
    ];
    const result = fitBradleyTerry(['a', 'b', 'c', 'd', 'never-compared'], judgements);
    for (const s of result.scores) {
      expect(Number.isFinite(s.score)).toBe(true);
      expect(s.se === null || Number.isFinite(s.se)).toBe(true);
    }
    expect(result.converged).toBe(true);
    expect(scoreOf(result, 'a').score - scoreOf(result, 'b').score).toBeCloseTo(Math.log(2), 4);
    expect(scoreOf(result, 'c').score).toBeCloseTo(scoreOf(result, 'd').score, 8);
    expect(scoreOf(result, 'never-compared')).toMatchObject({ score: 0, wins: 0, losses: 0, comparisons: 0 });
    expect(result.scores.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(0, 8);
  });

  it('fits perfect separation (one essay wins everything) with finite scores and keeps the order', () => {
    const judgements: Judgement[] = [
      { essay_a: 'top', essay_b: 'mid', winner: 'Essay A' },
      { essay_a: 'low', essay_b: 'top', winner: 'Essay B' },
      { essay_a: 'mid', essay_b: 'low', winner: 'Essay A' },
      { essay_a: 'low', essay_b: 'mid', winner: 'Essay A' },
      { essay_a: 'mid', essay_b: 'low', winner: 'Essay A' },
    ];
    const result = fitBradleyTerry(['top', 'mid', 'low'], judgements);
    expect(result.converged).toBe(true);
    expect(result.scores.map((s) => s.essay_id)).toEqual(['top', 'mid', 'low']);
    for (const s of result.scores) {
      expect(Number.isFinite(s.score)).toBe(true);
      expect(Math.abs(s.score)).toBeLessThan(30);
    }
  });

  it('handles no judgements at all', () => {
    const result = fitBradleyTerry(['x', 'y'], []);
    expect(result.scores.map((s) => s.score)).toEqual([0, 0]);
    expect(result.position_bias).toEqual({ a_wins: 0, total: 0, share: null });
    expect(result.ssr).toBeNull();
  });

  it('rejects duplicate ids, unknown essays, self-comparisons and bad winners with typed errors', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(CjScoringError);
        expect((error as CjScoringError).retryable).toBe(false);
        return (error as CjScoringError).code;
      }
      return 'no error';
    };
    const ok: Judgement = { essay_a: 'a', essay_b: 'b', winner: 'Essay A' };
    expect(code(() => fitBradleyTerry(['a', 'a'], []))).toBe('DUPLICATE_ESSAY_ID');
    expect(code(() => fitBradleyTerry(['a', 'b'], [ok, { ...ok, essay_b: 'z' }]))).toBe('UNKNOWN_ESSAY');
    expect(code(() => fitBradleyTerry(['a', 'b'], [{ ...ok, essay_b: 'a' }]))).toBe('INVALID_JUDGEMENT');
    const badWinner = { ...ok, winner: 'a' } as unknown as Judgement;
    expect(code(() => fitBradleyTerry(['a', 'b'], [badWinner]))).toBe('INVALID_JUDGEMENT');
    expect(code(() => fitBradleyTerry(['a', 'b'], [ok], { ridge: -1 }))).toBe('INVALID_OPTION');
  });
});

describe('fitBradleyTerry properties on seeded random designs', () => {
  const seeds = [11, 23, 37, 41, 59];

  it.each(seeds)('seed %i: scores do not depend on the order of the judgements', (seed) => {
    const { ids, judgements } = randomStudy(seed);
    const shuffled = [...judgements];
    const rng = new Mulberry32(seed * 7);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const a = fitBradleyTerry(ids, judgements);
    const b = fitBradleyTerry([...ids].reverse(), shuffled);
    for (const s of a.scores) {
      expect(Math.abs(s.score - scoreOf(b, s.essay_id).score)).toBeLessThan(1e-9);
      expect(Math.abs((s.se as number) - (scoreOf(b, s.essay_id).se as number))).toBeLessThan(1e-9);
    }
  });

  it.each(seeds)('seed %i: swapping A/B and flipping the winner changes only the position bias', (seed) => {
    const { ids, judgements } = randomStudy(seed);
    const swapped: Judgement[] = judgements.map((j) => ({
      essay_a: j.essay_b,
      essay_b: j.essay_a,
      winner: j.winner === 'Essay A' ? 'Essay B' : 'Essay A',
    }));
    const a = fitBradleyTerry(ids, judgements);
    const b = fitBradleyTerry(ids, swapped);
    for (const s of a.scores) expect(Math.abs(s.score - scoreOf(b, s.essay_id).score)).toBeLessThan(1e-9);
    expect(b.position_bias.a_wins).toBe(a.position_bias.total - a.position_bias.a_wins);
  });

  it.each(seeds)('seed %i: default ridge matches plain MLE and Hunter MM to 4 decimals', (seed) => {
    const { ids, judgements } = randomStudy(seed, 25, 16, 0.5);
    const plain = fitBradleyTerry(ids, judgements, { ridge: 0 });
    // The plain MLE exists only when every essay has both won and lost (checked, not assumed).
    expect(plain.scores.every((s) => s.wins > 0 && s.losses > 0)).toBe(true);
    const mm = hunterMmScores(ids, judgements, { maxIterations: 200000, tolerance: 1e-12 });
    expect(mm.converged).toBe(true);
    const ridged = fitBradleyTerry(ids, judgements);
    expect(plain.converged).toBe(true);
    ids.forEach((id, i) => {
      expect(scoreOf(ridged, id).score).toBeCloseTo(scoreOf(plain, id).score, 4);
      expect(scoreOf(ridged, id).score).toBeCloseTo(mm.theta[i], 4);
    });
  });

  it('recovers known abilities (Spearman > 0.9 for 200 essays, 30 comparisons each)', () => {
    const { ids, abilities, judgements } = randomStudy(2024, 200, 30);
    const result = fitBradleyTerry(ids, judgements);
    const fitted = ids.map((id) => scoreOf(result, id).score);
    const truth = ids.map((id) => abilities.get(id) as number);
    expect(spearman(fitted, truth)).toBeGreaterThan(0.9);
    expect(result.ssr).toBeGreaterThan(0.7);
  });
});
