// Pure formatting of the demo's outcome: the ranking table and the summary lines.
import type { CJAssessmentCompletedV1 } from '#contracts';
import { spearman } from '#cj-scoring';
import type { SampleEssay } from './sample-essays.js';

export interface DemoSummary {
  assessment_id: string;
  essays: number;
  comparisons: number;
  ssr: number | null;
  position_bias: number | null;
  spearman: number;
  provider: string;
  model: string;
  batches: number;
  provider_calls: number | null;
  individual_calls: number;
  /** null: the model has no known price (unknown, never 0). */
  cost_usd: number | null;
  individual_cost_usd: number | null;
  savings_usd: number | null;
  /** Request published → outcome received. */
  elapsed_ms: number;
}

export function summarise(
  outcome: CJAssessmentCompletedV1,
  essays: SampleEssay[],
  providerCalls: number | null,
  elapsedMs: number,
): DemoSummary {
  const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
  return {
    assessment_id: outcome.assessment_id,
    essays: outcome.rankings.length,
    comparisons: outcome.comparisons_succeeded,
    ssr: outcome.ssr,
    position_bias: outcome.position_bias.share,
    spearman: spearman(
      outcome.rankings.map((r) => r.score),
      outcome.rankings.map((r) => quality.get(r.essay_id) ?? 0),
    ),
    provider: outcome.provider,
    model: outcome.model,
    batches: outcome.batches.length,
    provider_calls: providerCalls,
    individual_calls: outcome.comparisons_requested,
    cost_usd: outcome.cost_usd,
    individual_cost_usd: outcome.individual_cost_usd,
    savings_usd: outcome.savings_usd,
    elapsed_ms: elapsedMs,
  };
}

export function rankingTable(outcome: CJAssessmentCompletedV1, essays: SampleEssay[]): string {
  const trueRank = new Map(essays.map((e) => [e.essay_id, e.true_rank]));
  const header = ['rank', 'essay', 'score ± SE', 'true rank', 'W-L'];
  const rows = outcome.rankings.map((r) => [
    String(r.rank),
    r.essay_id,
    `${signed(r.score)} ± ${r.se === null ? '—' : r.se.toFixed(2)}`,
    String(trueRank.get(r.essay_id) ?? '?'),
    `${r.wins}-${r.losses}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function summaryLines(s: DemoSummary): string[] {
  const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  const usd = (v: number | null) => (v === null ? 'unknown' : `$${v.toFixed(4)}`);
  return [
    `essays ${s.essays}, comparisons ${s.comparisons}, judged by ${s.provider}/${s.model} in ${s.batches} batch(es)`,
    `SSR (scale separation reliability): ${s.ssr === null ? 'n/a' : s.ssr.toFixed(3)}`,
    `position bias (share of "Essay A" wins): ${pct(s.position_bias)}`,
    `Spearman vs the known order: ${s.spearman.toFixed(3)}`,
    `provider calls: ${s.provider_calls ?? 'n/a'} (batch API) vs ${s.individual_calls} as individual requests`,
    `cost: ${usd(s.cost_usd)} vs ${usd(s.individual_cost_usd)} individually (saved ${usd(s.savings_usd)}, ${pct(
      s.individual_cost_usd && s.savings_usd !== null ? s.savings_usd / s.individual_cost_usd : null,
    )})`,
    `time from request to ranking: ${(s.elapsed_ms / 1000).toFixed(1)} s`,
  ];
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
}
