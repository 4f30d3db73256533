import {
  chainReliability,
  fitBradleyTerry,
  selectAdaptivePairs,
  type Judgement,
  type Pair,
} from '#cj-scoring';
import type { AdaptiveRound, AssessmentRecord, StoredResult } from '#assessment-store';

export type RoundFigures = Pick<AdaptiveRound, 'judgements' | 'split_half_reliability' | 'ssr'>;

export type RoundPlan =
  | { type: 'stop'; reason: 'target_reached' | 'cap_reached'; figures: RoundFigures }
  | { type: 'next'; round: AdaptiveRound; pairs: Pair[]; figures: RoundFigures };

/**
 * Share of a later round's new comparisons that are joint pairs, chosen from ALL judgements; the rest is split
 * evenly between the two chains, each chosen from its own judgements only. The chains exist for an honest
 * split-half (their correlation is not inflated by the adaptivity); the joint pairs use all the information so far,
 * which the chains cannot. Measured (scratch runs of the adaptive bench, 24 seeds, k = 10's Spearman): chains only
 * ~20 % fewer comparisons, joint share 1/2 ~18 %, 2/3 30 %, 0.8 30 %, 0.9 32 %; but the larger the share, the
 * fewer chain judgements the split-half rests on and the lower (more conservative) it reads: 2/3 is the compromise.
 */
export const JOINT_SHARE = 2 / 3;

/**
 * The successful judgements of each chain and of the joint pairs, in pair order. A pair belongs to chain A when it
 * is among the first `chain_a_count` pairs of its round, to chain B among the next `chain_b_count` (all the rest
 * when absent), else it is a joint pair; pairs from before any round (none today) count for neither chain.
 */
export function chainJudgements(
  record: AssessmentRecord,
  pairs: readonly Pair[],
  successes: ReadonlyMap<number, StoredResult>,
): [Judgement[], Judgement[], Judgement[]] {
  const chains: [Judgement[], Judgement[], Judgement[]] = [[], [], []];
  const rounds = record.adaptive?.rounds ?? [];
  for (const pair of [...pairs].sort((a, b) => a.pair_index - b.pair_index)) {
    const winner = successes.get(pair.pair_index)?.winner;
    if (!winner) continue;
    const round = rounds.find(
      (r) => pair.pair_index >= r.first_pair && pair.pair_index < r.first_pair + r.pair_count,
    );
    const judgement = { essay_a: pair.essay_a, essay_b: pair.essay_b, winner };
    if (!round) {
      chains[2].push(judgement);
      continue;
    }
    const offset = pair.pair_index - round.first_pair;
    const chainB = round.chain_b_count ?? round.pair_count - round.chain_a_count;
    chains[offset < round.chain_a_count ? 0 : offset < round.chain_a_count + chainB ? 1 : 2].push(judgement);
  }
  return chains;
}

/**
 * Decides what follows a judged adaptive round (pure; deterministic for the record's seed):
 * - stop when the two-chain split-half reliability (stepped up to all the judgements, joint ones included) reached
 *   the target (never SSR: adaptive pairing inflates it);
 * - otherwise each chain picks its new pairs from the fit of its OWN judgements (so the chains stay independent
 *   and their correlation honest), `comparisons_per_round * (1 - JOINT_SHARE) / 2` per essay each, then the joint
 *   pairs, `comparisons_per_round * JOINT_SHARE` per essay, from the fit of all judgements; all within the
 *   per-essay cap and never repeating a pair; stop when no new pair fits any more.
 */
export function planNextRound(
  record: AssessmentRecord,
  pairs: readonly Pair[],
  successes: ReadonlyMap<number, StoredResult>,
  ridge: number,
): RoundPlan {
  const state = record.adaptive;
  if (!state) throw new Error(`assessment ${record.assessment_id} is not adaptive`);
  const [chainA, chainB, joint] = chainJudgements(record, pairs, successes);
  const all = [...chainA, ...chainB, ...joint];
  const fit = fitBradleyTerry(record.essay_ids, all, { ridge });
  const figures: RoundFigures = {
    judgements: all.length,
    split_half_reliability: chainReliability(record.essay_ids, chainA, chainB, {
      totalJudgements: all.length,
    }).reliability,
    ssr: fit.ssr,
  };
  if ((figures.split_half_reliability ?? -Infinity) >= state.target_reliability) {
    return { type: 'stop', reason: 'target_reached', figures };
  }
  const roundNumber = state.rounds.length + 1;
  const options = {
    essayIds: record.essay_ids,
    comparisonsPerEssay: (state.comparisons_per_round * (1 - JOINT_SHARE)) / 2,
    maxComparisonsPerEssay: state.max_comparisons_per_essay,
  };
  const forA = selectAdaptivePairs({
    ...options,
    previousPairs: pairs,
    judgements: chainA,
    seed: state.seed * 31 + roundNumber * 2,
  });
  const forB = selectAdaptivePairs({
    ...options,
    previousPairs: [...pairs, ...forA],
    judgements: chainB,
    seed: state.seed * 31 + roundNumber * 2 + 1,
  });
  const forJoint = selectAdaptivePairs({
    ...options,
    comparisonsPerEssay: state.comparisons_per_round * JOINT_SHARE,
    previousPairs: [...pairs, ...forA, ...forB],
    judgements: all,
    seed: state.seed * 37 + roundNumber,
  });
  const next = [...forA, ...forB, ...forJoint];
  if (next.length === 0) return { type: 'stop', reason: 'cap_reached', figures };
  return {
    type: 'next',
    figures,
    pairs: next,
    round: {
      round: roundNumber,
      first_pair: record.pair_count,
      pair_count: next.length,
      chain_a_count: forA.length,
      chain_b_count: forB.length,
      judgements: null,
      split_half_reliability: null,
      ssr: null,
    },
  };
}
