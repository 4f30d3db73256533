// Bradley-Terry fit time and memory on seeded balanced designs, against a plain Hunter MM baseline in the same run.
import type { Benchmark, BenchRow } from './bench.types.js';
import {
  fitBradleyTerry,
  generatePairs,
  hunterMmScores,
  simulatedEssays,
  simulateJudgements,
  type FitOptions,
  type Judgement,
} from '#cj-scoring';

const MM_ITERATION_CAP = 500;

function measure<T>(fn: () => T, repeats: number): { ms: number; heapMb: number; value: T } {
  let best = Number.POSITIVE_INFINITY;
  let heapMb = 0;
  let value: T | undefined;
  for (let r = 0; r < repeats; r++) {
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    value = fn();
    const ms = performance.now() - start;
    if (ms < best) {
      best = ms;
      heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    }
  }
  return { ms: best, heapMb, value: value as T };
}

function study(essays: number, perEssay: number): { ids: string[]; judgements: Judgement[] } {
  const { ids, abilities } = simulatedEssays(essays, 1);
  const pairs = generatePairs({ essayIds: ids, comparisonsPerEssay: perEssay, seed: 2 });
  return { ids, judgements: simulateJudgements(pairs, abilities, 3) };
}

const benchmark: Benchmark = {
  name: 'cj-scoring',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const cases: Array<[essays: number, perEssay: number]> = [
      [1000, 20],
      [10000, 40],
    ];
    for (const [essays, perEssay] of cases) {
      const { ids, judgements } = study(essays, perEssay);
      const label = `${judgements.length} comparisons / ${essays} essays`;
      const design = measure(
        () => generatePairs({ essayIds: ids, comparisonsPerEssay: perEssay, seed: 2 }),
        2,
      );
      rows.push({
        benchmark: 'cj-scoring',
        case: `design ${label}`,
        metric: 'time',
        value: design.ms,
        unit: 'ms',
      });

      const mmName = `hunter MM (capped at ${MM_ITERATION_CAP} it) ${label}`;
      const mm = measure(
        () => hunterMmScores(ids, judgements, { maxIterations: MM_ITERATION_CAP, tolerance: 1e-10 }),
        2,
      );
      rows.push({ benchmark: 'cj-scoring', case: mmName, metric: 'time', value: mm.ms, unit: 'ms' });
      rows.push({
        benchmark: 'cj-scoring',
        case: mmName,
        metric: 'iterations',
        value: mm.value.iterations,
        unit: mm.value.converged ? 'it (converged)' : 'it (not converged)',
      });

      const variants: Array<[string, FitOptions]> = [
        ['fit scores only', { standardErrors: 'none' }],
        ['fit + approximate SEs', { standardErrors: 'approximate' }],
      ];
      if (essays <= 2000) variants.push(['fit + exact SEs', { standardErrors: 'exact' }]);
      for (const [name, options] of variants) {
        const fit = measure(() => fitBradleyTerry(ids, judgements, options), 3);
        const caseName = `${name} ${label}`;
        rows.push({
          benchmark: 'cj-scoring',
          case: caseName,
          metric: 'time',
          value: fit.ms,
          unit: 'ms',
          ratio: { value: fit.ms / mm.ms, against: mmName },
        });
        rows.push({
          benchmark: 'cj-scoring',
          case: caseName,
          metric: 'heapUsed delta',
          value: fit.heapMb,
          unit: 'MB',
        });
        rows.push({
          benchmark: 'cj-scoring',
          case: caseName,
          metric: 'newton iterations',
          value: fit.value.iterations,
          unit: fit.value.converged ? 'it (converged)' : 'it (not converged)',
        });
      }
    }
    return rows;
  },
};

export default benchmark;
