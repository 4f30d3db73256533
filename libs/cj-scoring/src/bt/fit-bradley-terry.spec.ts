import { CjScoringError } from '../errors/cj-scoring-error.js';
import { Mulberry32 } from '../random/mulberry32.js';
import { generatePairs } from '../design/generate-pairs.js';
import { simulatedEssays, simulateJudgements } from '../testing/simulate-judgements.js';
import { spearman } from '../stats/spearman.js';
import type { Judgement, ScoringResult } from '../types.js';
import { fitBradleyTerry } from './fit-bradley-terry.js';
import { hunterMmScores } from './hunter-mm.js';
import {
  BASEBALL_HOME_ABILITY_SHARES,
  BASEBALL_HOME_ADVANTAGE_REFERENCE,
  BASEBALL_REFERENCE,
  BASEBALL_TEAMS,
  baseballJudgements,
} from './fixtures/baseball-1987.js';

const scoreOf = (result: ScoringResult, id: string) => result.scores.find((s) => s.essay_id === id)!;

function randomStudy(seed: number, essays = 30, comparisonsPerEssay = 12, abilitySd = 1) {
  const { ids, abilities } = simulatedEssays(essays, seed, abilitySd);
  const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay, seed: seed + 1 });
  return { ids, abilities, judgements: simulateJudgements(pairs, abilities, seed + 2) };
}

describe('fitBradleyTerry without a position effect on the 1987 AL East data (Agresti 2002, Table 10.11)', () => {
  const result = fitBradleyTerry(BASEBALL_TEAMS, baseballJudgements(), { positionEffect: false });
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
    const plain = fitBradleyTerry(BASEBALL_TEAMS, baseballJudgements(), { ridge: 0, positionEffect: false });
    expect(result.position_effect).toBeNull();
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

describe('fitBradleyTerry with the position effect on the 1987 AL East data (home team = essay A)', () => {
  const result = fitBradleyTerry(BASEBALL_TEAMS, baseballJudgements());
  const reference = BASEBALL_HOME_ADVANTAGE_REFERENCE;
  const baltimore = scoreOf(result, 'Baltimore').score;
  const fourDecimals = (x: number) => Number(x.toFixed(4));

  it('fits it by default: eta and its SE equal the published home advantage to 4 decimals', () => {
    const effect = result.position_effect!;
    expect(fourDecimals(effect.estimate)).toBe(fourDecimals(reference.eta.estimate)); // 0.3023
    expect(fourDecimals(effect.se!)).toBe(fourDecimals(reference.eta.se)); // 0.1309
    expect(effect.ci_lower).toBeCloseTo(effect.estimate - 1.959964 * effect.se!, 6);
    expect(effect.ci_upper).toBeCloseTo(effect.estimate + 1.959964 * effect.se!, 6);
    expect(effect.ci_lower).toBeGreaterThan(0); // Agresti: a home advantage, significant at 5 %
    expect(result.converged).toBe(true);
  });

  it.each(Object.entries(reference.teams))('%s: team score (Baltimore = 0) to 4 decimals', (team, ref) => {
    expect(fourDecimals(scoreOf(result, team).score - baltimore)).toBe(fourDecimals(ref.estimate));
  });

  it("reproduces Agresti's Table 10.11 column 5 (abilities as shares, 3 decimals)", () => {
    const total = result.scores.reduce((sum, s) => sum + Math.exp(s.score), 0);
    for (const [team, share] of Object.entries(BASEBALL_HOME_ABILITY_SHARES)) {
      expect(Number((Math.exp(scoreOf(result, team).score) / total).toFixed(3))).toBe(share);
    }
  });

  it('reference-coded team SEs from the 7x7 information (6 teams + eta) match BradleyTerry2', () => {
    const theta = BASEBALL_TEAMS.map((t) => scoreOf(result, t).score);
    const eta = result.position_effect!.estimate;
    const k = BASEBALL_TEAMS.length; // rows 0..5: teams 1..6 (Baltimore dropped), row 6: eta
    const info = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const row = (team: number) => (team === 0 ? -1 : team - 1);
    for (const { essay_a, essay_b } of baseballJudgements()) {
      const a = BASEBALL_TEAMS.indexOf(essay_a);
      const b = BASEBALL_TEAMS.indexOf(essay_b);
      const p = 1 / (1 + Math.exp(theta[b] - theta[a] - eta));
      const w = p * (1 - p);
      // gradient of the linear predictor: +1 for a, -1 for b, +1 for eta
      const x = new Array<number>(k).fill(0);
      if (row(a) >= 0) x[row(a)] += 1;
      if (row(b) >= 0) x[row(b)] -= 1;
      x[k - 1] = 1;
      for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) info[r][c] += w * x[r] * x[c];
    }
    const inverse = invert(info);
    BASEBALL_TEAMS.slice(1).forEach((team, r) => {
      const ref = reference.teams[team as keyof typeof reference.teams];
      expect(fourDecimals(Math.sqrt(inverse[r][r]))).toBe(fourDecimals(ref.se));
    });
    expect(Math.sqrt(inverse[k - 1][k - 1])).toBeCloseTo(result.position_effect!.se!, 6);
  });

  it('sum-to-zero SEs include the uncertainty of eta (wider than the plain model)', () => {
    const plain = fitBradleyTerry(BASEBALL_TEAMS, baseballJudgements(), { positionEffect: false });
    for (const s of result.scores)
      expect(s.se!).toBeGreaterThanOrEqual(scoreOf(plain, s.essay_id).se! - 1e-12);
  });
});

describe('fitBradleyTerry position effect on simulated judges', () => {
  it.each([0.6, 0, -0.4])('recovers a bias of %d logits: mean over 8 seeds, CI coverage', (bias) => {
    const estimates: number[] = [];
    let covered = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { ids, abilities } = simulatedEssays(60, seed * 100, 1);
      const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 40, seed: seed * 100 + 1 });
      const effect = fitBradleyTerry(
        ids,
        simulateJudgements(pairs, abilities, seed * 100 + 2, bias),
      ).position_effect!;
      expect(effect.se).toBeGreaterThan(0.05);
      expect(effect.se).toBeLessThan(0.1);
      estimates.push(effect.estimate);
      if (effect.ci_lower! < bias && bias < effect.ci_upper!) covered++;
    }
    // 8 independent estimates with SE ~0.077: their mean has an SE of ~0.03. (Like every logistic MLE with many
    // nuisance parameters, eta is inflated by a few % at 40 comparisons per essay, ~13 % at 20.)
    expect(Math.abs(estimates.reduce((a, b) => a + b, 0) / 8 - bias)).toBeLessThan(0.08);
    expect(covered).toBeGreaterThanOrEqual(6);
  });

  it('corrects the scores when positions are not balanced (one half always shown first to the other)', () => {
    const { ids, abilities } = simulatedEssays(40, 404, 1);
    const half = ids.length / 2;
    const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: 16, seed: 405 }).map((p) => {
      // Against the other half, the first half is always essay A; within a half the balanced orientation stays.
      const firstHalfB = ids.indexOf(p.essay_b) < half && ids.indexOf(p.essay_a) >= half;
      return firstHalfB ? { ...p, essay_a: p.essay_b, essay_b: p.essay_a } : p;
    });
    const judgements = simulateJudgements([...pairs, ...pairs, ...pairs], abilities, 406, 1.5);
    const truth = ids.map((id) => abilities.get(id)!);
    const meanTruth = truth.reduce((a, b) => a + b, 0) / truth.length;
    const rmsError = (result: ScoringResult) =>
      Math.sqrt(
        ids.reduce((sum, id, i) => sum + (scoreOf(result, id).score - (truth[i] - meanTruth)) ** 2, 0) /
          ids.length,
      );
    const corrected = fitBradleyTerry(ids, judgements);
    const plain = fitBradleyTerry(ids, judgements, { positionEffect: false });
    expect(corrected.position_effect!.ci_lower!).toBeLessThan(1.5);
    expect(corrected.position_effect!.ci_upper!).toBeGreaterThan(1.5);
    expect(rmsError(corrected)).toBeLessThan(0.6 * rmsError(plain));
  });

  it('rejects a non-boolean positionEffect option', () => {
    expect(() => fitBradleyTerry(['a', 'b'], [], { positionEffect: 'yes' as unknown as boolean })).toThrow(
      CjScoringError,
    );
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
    const result = fitBradleyTerry(['a', 'b', 'c', 'd', 'never-compared'], judgements, {
      positionEffect: false,
    });
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

  it.each(seeds)('seed %i: swapping A/B and flipping the winner only flips the position effect', (seed) => {
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
    expect(b.position_effect!.estimate).toBeCloseTo(-a.position_effect!.estimate, 9);
    expect(b.position_effect!.se).toBeCloseTo(a.position_effect!.se!, 9);
  });

  it.each(seeds)('seed %i: default ridge matches plain MLE and Hunter MM to 4 decimals', (seed) => {
    const { ids, judgements } = randomStudy(seed, 25, 16, 0.5);
    const plain = fitBradleyTerry(ids, judgements, { ridge: 0, positionEffect: false });
    // The plain MLE exists only when every essay has both won and lost (checked, not assumed).
    expect(plain.scores.every((s) => s.wins > 0 && s.losses > 0)).toBe(true);
    const mm = hunterMmScores(ids, judgements, { maxIterations: 200000, tolerance: 1e-12 });
    expect(mm.converged).toBe(true);
    const ridged = fitBradleyTerry(ids, judgements, { positionEffect: false });
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
