import type { ScoringResult } from '../types.js';

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
  };
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
    result.converged ? '' : `Warning: the fit did not converge in ${result.iterations} iterations`,
  ]
    .join('\n')
    .trimEnd();
}
