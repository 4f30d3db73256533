// Adaptive rounds vs the one-shot balanced design, judged by the Mock provider's judge (judgeMock on essays with
// hidden qualities), over many seeds: comparisons needed for the same true-order Spearman, and the reliabilities.
// The adaptive run mirrors cj-integration's planNextRound (apps/cj-integration/src/assessment/adaptive-rounds.ts):
// round 1 the balanced design split between two chains, then per round each chain's pairs from its own judgements
// and the joint pairs (JOINT_SHARE of the round) from all of them, the stopping figure the chains' split-half
// stepped up to all judgements. Both designs: the same essays, judge, seeds and scoring fit (cj-integration's).
import type { Benchmark, BenchRow } from './bench.types.js';
import {
  fitBradleyTerry,
  generatePairs,
  Mulberry32,
  selectAdaptivePairs,
  chainReliability,
  spearman,
  splitHalfReliability,
  type Judgement,
  type Pair,
} from '#cj-scoring';
import { judgeMock, withHiddenQuality } from '#llm-providers';

const SEEDS = Number(process.env.ADAPTIVE_BENCH_SEEDS ?? 24);
const ESSAYS = 60;
/** Hidden quality ~ U(0, 2), the demo's sample essays' spread (scripts/demo/sample-essays.ts, QUALITY_SPREAD). */
const QUALITY_SPREAD = 2;
/** Non-adaptive designs compared against (comparisons per essay). */
const BASELINE_KS = [10, 14, 20];
/**
 * The adaptive design with cj-integration's defaults (DEFAULT_INITIAL_COMPARISONS, DEFAULT_ROUND_COMPARISONS,
 * JOINT_SHARE): round 1 balanced at k0, then +ROUND_K new comparisons per essay per round, up to CAP.
 */
const INITIAL_K = 2;
const ROUND_K = 1;
const JOINT_SHARE = 2 / 3;
const CAP = 20;
const TARGETS = [0.8, 0.9];
/** The ridge cj-integration scores with by default (CJ_BT_RIDGE). */
const FIT = { ridge: 0.01 } as const;

interface Essay {
  id: string;
  text: string;
  quality: number;
}

function essays(seed: number, coinFlip = false): Essay[] {
  const rng = new Mulberry32(seed);
  return Array.from({ length: ESSAYS }, (_, i) => {
    const quality = coinFlip ? 1 : QUALITY_SPREAD * rng.nextFloat();
    return {
      id: `s${seed}-e${String(i).padStart(3, '0')}`,
      text: withHiddenQuality(`Essay ${i} of set ${seed}.`, Number(quality.toFixed(6))),
      quality,
    };
  });
}

/** The Mock provider's judge; the comparison id (unique per set, round and pair) drives its randomness. */
function judge(set: Essay[], pairs: readonly Pair[], round: number, seed: number): Judgement[] {
  const byId = new Map(set.map((e) => [e.id, e]));
  return pairs.map((p) => {
    const { winner } = judgeMock(
      {
        comparison_id: `bench-${seed}-r${round}-p${p.pair_index}`,
        user_prompt: 'Which essay is better?',
        essay_a: byId.get(p.essay_a)!.text,
        essay_b: byId.get(p.essay_b)!.text,
      },
      'You are a judge.',
      { seed: 7, errorRate: 0, expiryRate: 0 },
    );
    return { essay_a: p.essay_a, essay_b: p.essay_b, winner };
  });
}

function accuracy(set: Essay[], judgements: Judgement[]) {
  const ids = set.map((e) => e.id);
  const fit = fitBradleyTerry(ids, judgements, FIT);
  const score = new Map(fit.scores.map((s) => [s.essay_id, s.score]));
  return {
    fit,
    spearman: spearman(
      ids.map((id) => score.get(id)!),
      set.map((e) => e.quality),
    ),
  };
}

interface RoundPoint {
  /** Batches so far (round 1 = 1). */
  round: number;
  comparisons: number;
  spearman: number;
  ssr: number | null;
  splitHalf: number | null;
}

/**
 * Runs adaptive rounds to the cap, recording every round. Two independent chains: the round-1 pairs are split
 * between them, and each later round every chain picks its pairs from the fit of its OWN judgements only, so the two
 * chains stay independent given the essays and their correlation (split-half) is not inflated by the adaptivity;
 * the joint pairs of the round are chosen from all judgements and only enter the split-half through the step-up.
 */
function adaptiveRun(set: Essay[], seed: number): RoundPoint[] {
  // Runs to the cap (or until no new pair is left) so every stopping rule can be read off the same runs.
  const ids = set.map((e) => e.id);
  let pairs: Pair[] = generatePairs({ essayIds: ids, comparisonsPerEssay: INITIAL_K, seed });
  const first = judge(set, pairs, 1, seed);
  const half = Math.floor(first.length / 2);
  const chains: Judgement[][] = [first.slice(0, half), first.slice(half)];
  let joint: Judgement[] = [];
  const points: RoundPoint[] = [];
  for (let round = 1; ; round++) {
    const judgements = [...chains[0], ...chains[1], ...joint];
    const { fit, spearman: rho } = accuracy(set, judgements);
    const splitHalf = chainReliability(ids, chains[0], chains[1], {
      totalJudgements: judgements.length,
    }).reliability;
    points.push({ round, comparisons: judgements.length, spearman: rho, ssr: fit.ssr, splitHalf });
    let added = 0;
    for (const chain of [0, 1]) {
      const next = selectAdaptivePairs({
        essayIds: ids,
        previousPairs: pairs,
        judgements: chains[chain],
        comparisonsPerEssay: (ROUND_K * (1 - JOINT_SHARE)) / 2,
        maxComparisonsPerEssay: CAP,
        seed: seed * 31 + (round + 1) * 2 + chain,
      });
      pairs = [...pairs, ...next];
      chains[chain] = [...chains[chain], ...judge(set, next, round + 1, seed)];
      added += next.length;
    }
    const next = selectAdaptivePairs({
      essayIds: ids,
      previousPairs: pairs,
      judgements,
      comparisonsPerEssay: ROUND_K * JOINT_SHARE,
      maxComparisonsPerEssay: CAP,
      seed: seed * 37 + round + 1,
    });
    pairs = [...pairs, ...next];
    joint = [...joint, ...judge(set, next, round + 1, seed)];
    added += next.length;
    if (added === 0) return points;
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const per = (comparisons: number) => (2 * comparisons) / ESSAYS;

const benchmark: Benchmark = {
  name: 'adaptive',
  async run(): Promise<BenchRow[]> {
    const rows: BenchRow[] = [];
    const row = (c: string, metric: string, value: number, unit: string, ratio?: BenchRow['ratio']) =>
      rows.push({ benchmark: 'adaptive', case: c, metric, value, unit, ...(ratio ? { ratio } : {}) });
    const reliability = (c: string, ssr: number, half: number) => {
      row(c, 'SSR (inflated by adaptivity)', ssr, 'mean');
      row(c, 'split-half reliability', half, 'mean');
    };

    const baseline = new Map<
      number,
      Array<{ comparisons: number; spearman: number; ssr: number; half: number }>
    >(BASELINE_KS.map((k) => [k, []]));
    const adaptive: RoundPoint[][] = [];
    for (let s = 1; s <= SEEDS; s++) {
      const seed = 1000 + s;
      const set = essays(seed);
      const ids = set.map((e) => e.id);
      for (const k of BASELINE_KS) {
        const judgements = judge(
          set,
          generatePairs({ essayIds: ids, comparisonsPerEssay: k, seed }),
          0,
          seed,
        );
        const { fit, spearman: rho } = accuracy(set, judgements);
        baseline.get(k)!.push({
          comparisons: judgements.length,
          spearman: rho,
          ssr: fit.ssr ?? Number.NaN,
          half: splitHalfReliability(ids, judgements, { seed }).reliability ?? Number.NaN,
        });
      }
      adaptive.push(adaptiveRun(set, seed));
    }
    const rounds = Math.min(...adaptive.map((a) => a.length));
    const curve = Array.from({ length: rounds }, (_, r) => ({
      round: r + 1,
      comparisons: mean(adaptive.map((a) => a[r].comparisons)),
      spearman: mean(adaptive.map((a) => a[r].spearman)),
      ssr: mean(adaptive.map((a) => a[r].ssr ?? Number.NaN)),
      half: mean(adaptive.map((a) => a[r].splitHalf ?? Number.NaN)),
    }));
    const setup = `${ESSAYS} essays, Mock judge, ${SEEDS} seeds; adaptive k0=${INITIAL_K} +${ROUND_K}/round (${Math.round(100 * JOINT_SHARE)} % joint)`;

    // The headline: comparisons the adaptive rounds need for the non-adaptive design's mean Spearman.
    row(
      'rule: adaptive rounds stop at the first round whose mean Spearman (same seeds) >= the non-adaptive mean at k',
      'seeds',
      SEEDS,
      'same essays, judge and scoring fit for both designs; Spearman of the fitted scores vs the hidden qualities',
    );
    for (const k of BASELINE_KS) {
      const runs = baseline.get(k)!;
      const name = `non-adaptive k=${k} (${setup})`;
      const comparisons = mean(runs.map((b) => b.comparisons));
      const rho = mean(runs.map((b) => b.spearman));
      row(name, 'comparisons', comparisons, 'per set');
      row(name, 'Spearman vs true order', rho, 'mean');
      reliability(name, mean(runs.map((b) => b.ssr)), mean(runs.map((b) => b.half)));
      const reached = curve.find((p) => p.spearman >= rho);
      if (!reached) {
        row(`adaptive to Spearman ${rho.toFixed(3)}`, 'comparisons', Number.NaN, 'not reached by the cap');
        continue;
      }
      const match = `adaptive to Spearman >= ${rho.toFixed(3)} (k=${k}'s)`;
      row(
        match,
        'comparisons',
        reached.comparisons,
        `per set (${per(reached.comparisons).toFixed(1)}/essay)`,
        {
          value: reached.comparisons / comparisons,
          against: name,
        },
      );
      row(match, 'fewer comparisons', 100 * (1 - reached.comparisons / comparisons), '%');
      row(match, 'Spearman vs true order', reached.spearman, 'mean');
      row(match, 'rounds (batches, one after another)', reached.round, 'vs 1 for the non-adaptive design');
      reliability(match, reached.ssr, reached.half);
    }

    // The curve (every other round) with both reliabilities: SSR is inflated by adaptivity, split-half is not.
    curve.forEach((p, r) => {
      if (r % 2 === 1 && r !== rounds - 1) return;
      const name = `adaptive round ${r + 1} (${per(p.comparisons).toFixed(1)} per essay)`;
      row(name, 'Spearman vs true order', p.spearman, 'mean');
      reliability(name, p.ssr, p.half);
    });

    // The stopping rule as cj-integration runs it: stop at the first round whose split-half reaches the target.
    for (const target of TARGETS) {
      const stopped = adaptive.map((a) => a.find((p) => (p.splitHalf ?? 0) >= target) ?? a.at(-1)!);
      const name = `adaptive, stop at split-half >= ${target} or cap ${CAP}`;
      const comparisons = mean(stopped.map((p) => p.comparisons));
      row(name, 'comparisons', comparisons, `per set (${per(comparisons).toFixed(1)}/essay)`);
      row(name, 'Spearman vs true order', mean(stopped.map((p) => p.spearman)), 'mean');
      row(name, 'rounds (batches)', mean(stopped.map((p) => p.round)), 'mean');
      reliability(
        name,
        mean(stopped.map((p) => p.ssr ?? Number.NaN)),
        mean(stopped.map((p) => p.splitHalf ?? Number.NaN)),
      );
    }

    // Coin-flip judge (every essay the same hidden quality): no true order at all. SSR under adaptive pairing
    // still reports reliability; split-half stays near 0 (Bramley 2015's warning, measured).
    const noise = Array.from({ length: 8 }, (_, s) => adaptiveRun(essays(5000 + s, true), 5000 + s));
    const last = noise.map((a) => a[Math.min(...noise.map((x) => x.length)) - 1]);
    const name = `coin-flip judge, adaptive to ${per(mean(last.map((p) => p.comparisons))).toFixed(0)} per essay (8 seeds)`;
    reliability(
      name,
      mean(last.map((p) => p.ssr ?? Number.NaN)),
      mean(last.map((p) => p.splitHalf ?? Number.NaN)),
    );
    return rows;
  },
};

export default benchmark;
