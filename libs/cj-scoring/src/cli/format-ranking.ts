import type { PositionEffect, ScoringResult } from '../types.js';

export interface RankingJson {
  rankings: Array<{
    essay_id: string;
    score: number;
    se: number | null;
    rank: number;
    wins: number;
    losses: number;
    comparisons: number;
  }>;
  ssr: number | null;
  /** eta of P(A wins) = sigmoid(theta_a - theta_b + eta), essay_a being the first-shown essay; null when not fitted. */
  position_effect: PositionEffect | null;
}

export function rankingJson(result: ScoringResult): RankingJson {
  return {
    rankings: result.scores.map(({ essay_id, score, se, rank, wins, losses, comparisons }) => ({
      essay_id,
      score,
      se,
      rank,
      wins,
      losses,
      comparisons,
    })),
    ssr: result.ssr,
    position_effect: result.position_effect,
  };
}

function describeEffect(effect: PositionEffect | null): string {
  if (!effect) return 'Position effect: not fitted (plain Bradley-Terry)';
  const estimate = `${effect.estimate >= 0 ? '+' : ''}${effect.estimate.toFixed(4)}`;
  if (effect.se === null) return `Position effect (Essay A): ${estimate} logits`;
  const share = 1 / (1 + Math.exp(-effect.estimate));
  return (
    `Position effect (Essay A): ${estimate} logits, SE ${effect.se.toFixed(4)}, ` +
    `95% CI [${effect.ci_lower!.toFixed(4)}, ${effect.ci_upper!.toFixed(4)}] ` +
    `(between equal essays the first shown wins ${(share * 100).toFixed(1)}%; scores are corrected for it)`
  );
}

/** A plain-text table for people: rank, essay, score ± SE, wins, losses, comparisons; then SSR and position bias. */
export function rankingTable(result: ScoringResult): string {
  const header = ['rank', 'essay', 'score ± SE', 'wins', 'losses', 'comparisons'];
  const rows = result.scores.map((s) => [
    String(s.rank),
    s.essay_id,
    `${s.score >= 0 ? ' ' : ''}${s.score.toFixed(3)} ± ${s.se === null ? 'n/a' : s.se.toFixed(3)}`,
    String(s.wins),
    String(s.losses),
    String(s.comparisons),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = [true, false, false, true, true, true];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const bias = result.position_bias;
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
    `SSR: ${result.ssr === null ? 'n/a' : result.ssr.toFixed(3)} (SEs: ${result.se_method})`,
    `Position bias: 'Essay A' won ${bias.a_wins} of ${bias.total}` +
      (bias.share === null ? '' : ` (${(bias.share * 100).toFixed(1)}%)`),
    describeEffect(result.position_effect),
    result.converged ? '' : `Warning: the fit did not converge in ${result.iterations} iterations`,
  ]
    .join('\n')
    .trimEnd();
}
