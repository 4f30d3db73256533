import type { AssessmentRankingDto, AssessmentStatusDto, CostQuote } from '#contracts';

/**
 * GET /api/v1/assessments/{id}/report: one self-contained HTML page (inline CSS and SVG, no script, no external
 * asset: works offline, saved to a file, and prints). While the assessment runs it shows progress and refreshes.
 */
export function renderAssessmentReport(view: AssessmentStatusDto, now: Date = new Date()): string {
  const running = ['queued', 'running', 'cancelling'].includes(view.status);
  const result = view.result;
  const title = `Assessment ${view.assessment_id}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${running ? '<meta http-equiv="refresh" content="5">' : ''}
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>${esc(title)}</h1>
  <p class="meta"><span class="status status-${esc(view.status)}" id="status">${esc(view.status)}</span>
  accepted ${esc(view.accepted_at)} · ${view.essay_count} essays · report generated ${esc(now.toISOString())}</p>
</header>
${progressSection(view, running)}
${view.error ? `<section class="error" id="error"><h2>Ended: ${esc(view.error.reason_code)}</h2><p>${esc(view.error.message)}</p></section>` : ''}
${result ? resultSections(view) : ''}
${costSection(view)}
${configSection(view)}
<footer><p>Scores are Bradley-Terry abilities (logits, centred on 0)${result?.position_effect ? ', corrected for the position effect' : ''}; bars are ±1.96·SE (95 %). JSON: <code>${esc(`/api/v1/assessments/${view.assessment_id}`)}</code>, judgements: <code>${esc(view.judgements_url)}</code>.</p></footer>
</body>
</html>
`;
}

function progressSection(view: AssessmentStatusDto, running: boolean): string {
  const p = view.progress;
  const share = p.comparisons_total > 0 ? p.comparisons_done / p.comparisons_total : 0;
  return `<section id="progress">
  <h2>Progress</h2>
  <div class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="${p.comparisons_total}" aria-valuenow="${p.comparisons_done}"><div style="width:${(share * 100).toFixed(1)}%"></div></div>
  <p>${p.comparisons_done} of ${p.comparisons_total} comparisons judged${p.comparisons_failed ? `, ${p.comparisons_failed} failed` : ''} · ${p.rounds} round${p.rounds === 1 ? '' : 's'} · ${p.batches.length} batch${p.batches.length === 1 ? '' : 'es'}${running ? ' · this page refreshes every 5 s' : ''}</p>
  ${
    p.batches.length
      ? `<table class="small"><thead><tr><th>batch</th><th>kind</th>${p.batches.some((b) => b.round !== undefined) ? '<th>round</th>' : ''}<th>attempt</th><th>status</th><th>comparisons</th><th>succeeded</th><th>failed</th></tr></thead><tbody>
${p.batches
  .map(
    (b) =>
      `<tr><td><code>${esc(b.batch_id || '(submitting)')}</code></td><td>${esc(b.kind)}</td>${p.batches.some((x) => x.round !== undefined) ? `<td>${b.round ?? ''}</td>` : ''}<td>${b.attempt}</td><td>${esc(b.status)}</td><td>${b.comparison_count}</td><td>${b.succeeded}</td><td>${b.failed}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
      : ''
  }
</section>`;
}

function resultSections(view: AssessmentStatusDto): string {
  const result = view.result!;
  const effect = result.position_effect;
  const bias = result.position_bias;
  return `<section id="reliability">
  <h2>Reliability</h2>
  <dl>
    <dt>Scale separation reliability (SSR)</dt><dd id="ssr">${num(result.ssr, 3)}</dd>
    ${result.split_half_reliability !== undefined ? `<dt>Split-half reliability (Spearman-Brown)</dt><dd id="split-half">${num(result.split_half_reliability, 3)}</dd>` : ''}
    <dt>Comparisons</dt><dd>${result.comparisons_succeeded} judged of ${result.comparisons_requested}${result.comparisons_failed ? ` (${result.comparisons_failed} failed)` : ''}</dd>
    <dt>Duration</dt><dd>${(result.duration_ms / 1000).toFixed(1)} s</dd>
  </dl>
</section>
<section id="position">
  <h2>Position effect</h2>
  <dl>
    ${
      effect
        ? `<dt>Essay A (shown first) effect η</dt><dd id="position-effect">${num(effect.estimate, 3)}${effect.se !== null ? ` (SE ${num(effect.se, 3)}; 95 % CI ${num(effect.ci_lower, 3)} to ${num(effect.ci_upper, 3)})` : ''}</dd>
    <dt>Chance the first-shown of two equal essays wins</dt><dd>${pct(1 / (1 + Math.exp(-effect.estimate)))}</dd>`
        : '<dt>Position effect</dt><dd>not modelled in this result</dd>'
    }
    <dt>Judgements won by Essay A</dt><dd id="position-share">${bias.a_wins} of ${bias.total}${bias.share !== null ? ` (${pct(bias.share)})` : ''}</dd>
  </dl>
</section>
<section id="chart-section">
  <h2>Scores in rank order</h2>
  ${scoreChart(result.rankings)}
</section>
<section id="ranking-section">
  <h2>Ranking</h2>
  <table id="ranking"><thead><tr><th>rank</th><th>essay</th><th>score</th><th>SE</th><th>95 % interval</th><th>wins</th><th>losses</th><th>comparisons</th></tr></thead><tbody>
${result.rankings
  .map(
    (r) =>
      `<tr data-essay-id="${esc(r.essay_id)}"><td>${r.rank}</td><td>${esc(r.essay_id)}</td><td>${num(r.score, 3)}</td><td>${num(r.se, 3)}</td><td>${r.se === null ? '–' : `${num(r.score - 1.96 * r.se, 2)} to ${num(r.score + 1.96 * r.se, 2)}`}</td><td>${r.wins}</td><td>${r.losses}</td><td>${r.comparisons}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
</section>`;
}

/** Caterpillar plot: x = rank (best left), y = score, one dot per essay with its ±1.96·SE bar. */
function scoreChart(rankings: readonly AssessmentRankingDto[]): string {
  const ordered = [...rankings].sort((a, b) => a.rank - b.rank);
  const width = 760;
  const height = 320;
  const pad = { left: 48, right: 12, top: 12, bottom: 36 };
  const lows = ordered.map((r) => r.score - 1.96 * (r.se ?? 0));
  const highs = ordered.map((r) => r.score + 1.96 * (r.se ?? 0));
  let min = Math.min(...lows, 0);
  let max = Math.max(...highs, 0);
  if (!Number.isFinite(min) || !Number.isFinite(max) || min === max) {
    min = -1;
    max = 1;
  }
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (ordered.length <= 1 ? plotW / 2 : (i / (ordered.length - 1)) * plotW);
  const y = (v: number) => pad.top + ((max - v) / (max - min)) * plotH;
  const radius = Math.max(1.5, Math.min(4, plotW / ordered.length / 3));
  const ticks = niceTicks(min, max, 5);
  const labelEvery = Math.max(1, Math.ceil(ordered.length / 20));
  const marks = ordered
    .map((r, i) => {
      const cx = x(i).toFixed(1);
      const bar =
        r.se === null
          ? ''
          : `<line class="ci" x1="${cx}" x2="${cx}" y1="${y(highs[i]).toFixed(1)}" y2="${y(lows[i]).toFixed(1)}"/>`;
      return `<g data-essay-id="${esc(r.essay_id)}">${bar}<circle class="mark" cx="${cx}" cy="${y(r.score).toFixed(1)}" r="${radius.toFixed(1)}"><title>${esc(r.essay_id)}: rank ${r.rank}, score ${num(r.score, 3)}${r.se !== null ? ` ± ${num(1.96 * r.se, 3)}` : ''}</title></circle></g>`;
    })
    .join('');
  const xLabels = ordered
    .map((r, i) =>
      i % labelEvery === 0
        ? `<text class="xl" x="${x(i).toFixed(1)}" y="${height - pad.bottom + 14}">${r.rank}</text>`
        : '',
    )
    .join('');
  return `<svg id="score-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="Essay scores with 95 % intervals in rank order">
<g class="grid">${ticks.map((t) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/><text class="yl" x="${pad.left - 6}" y="${(y(t) + 4).toFixed(1)}">${+t.toFixed(2)}</text>`).join('')}</g>
<line class="zero" x1="${pad.left}" x2="${width - pad.right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}"/>
${marks}
${xLabels}
<text class="axis" x="${pad.left + plotW / 2}" y="${height - 4}">rank (best first)</text>
<text class="axis" transform="translate(12 ${pad.top + plotH / 2}) rotate(-90)">score (logits)</text>
</svg>`;
}

function costSection(view: AssessmentStatusDto): string {
  const cost = view.cost;
  const quote: CostQuote | null = cost.quote;
  return `<section id="cost">
  <h2>Cost</h2>
  <table class="small"><thead><tr><th></th><th>batch processing</th><th>as individual requests</th><th>savings</th></tr></thead><tbody>
  <tr id="cost-actual"><th>actual${view.status === 'completed' ? '' : ' (so far)'}</th><td>${usd(cost.actual_cost_usd)}</td><td>${usd(cost.individual_cost_usd)}</td><td>${usd(cost.savings_usd)}</td></tr>
  ${quote ? `<tr id="cost-quote"><th>quoted at acceptance</th><td>${usd(quote.batch_cost_usd)}</td><td>${usd(quote.individual_cost_usd)}</td><td>${quote.batch_cost_usd !== null && quote.individual_cost_usd !== null ? usd(quote.individual_cost_usd - quote.batch_cost_usd) : '–'}</td></tr>` : ''}
  </tbody></table>
  ${quote ? `<p class="note">Quote: ${quote.comparisons} comparisons, ~${quote.prompt_tokens} input + ${quote.completion_tokens} output tokens (${esc(quote.method)}).</p>` : ''}
</section>`;
}

function configSection(view: AssessmentStatusDto): string {
  const c = view.config;
  return `<section id="config">
  <h2>Provider, model and settings</h2>
  <dl>
    <dt>Provider</dt><dd id="provider">${esc(c.provider ?? '–')}</dd>
    <dt>Model</dt><dd id="model">${esc(c.model ?? '–')}</dd>
    <dt>Temperature</dt><dd>${c.temperature ?? 'default'}</dd>
    <dt>Max tokens</dt><dd>${c.max_tokens ?? 'default'}</dd>
    <dt>System prompt</dt><dd>${c.system_prompt_override ? 'custom' : 'default'}</dd>
    <dt>Correlation id</dt><dd><code>${esc(view.correlation_id)}</code></dd>
  </dl>
</section>`;
}

function niceTicks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + 1e-9; t += step) ticks.push(t);
  return ticks;
}

function num(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function usd(value: number | null): string {
  return value === null ? 'unknown' : `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const CSS = `
:root{--ink:#1b1f24;--muted:#5b6470;--line:#d5dae0;--accent:#1f5fbf;--bad:#b3261e;--good:#1e7a3c}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);margin:24px auto;max-width:960px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta,.note,footer{color:var(--muted)}footer{margin-top:32px;font-size:12px}
.status{display:inline-block;padding:1px 8px;border-radius:10px;background:#e8eef8;color:var(--accent);font-weight:600}
.status-completed{background:#e3f3e8;color:var(--good)}.status-failed,.status-cancelled{background:#fbe9e8;color:var(--bad)}
.bar{height:10px;background:#eef1f4;border-radius:5px;overflow:hidden}.bar>div{height:100%;background:var(--accent)}
table{border-collapse:collapse;width:100%}th,td{text-align:right;padding:3px 8px;border-bottom:1px solid var(--line)}
th:first-child,td:first-child,#ranking th:nth-child(2),td:nth-child(2){text-align:left}table.small{width:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:var(--muted)}dd{margin:0}
.error{border-left:4px solid var(--bad);padding-left:12px}
svg{width:100%;height:auto;display:block}
svg .grid line{stroke:#eef1f4}svg .zero{stroke:#9aa3ad;stroke-dasharray:4 3}
svg .ci{stroke:#8fb0e3;stroke-width:1.5}svg .mark{fill:var(--accent)}
svg text{font-size:10px;fill:var(--muted)}svg .yl{text-anchor:end}svg .xl,svg .axis{text-anchor:middle}
@media print{body{margin:0;max-width:none;font-size:11px}.bar>div{background:#444!important}
section{break-inside:avoid}#ranking-section{break-inside:auto}thead{display:table-header-group}tr{break-inside:avoid}
a{color:inherit;text-decoration:none}@page{margin:14mm}}
`;
