// Demo driver: submits the bundled sample assessment over REST (POST /api/v1/assessments, after a quote), shows
// progress from GET /api/v1/assessments/{id}, prints the ranking, and saves the self-contained HTML report to a file
// (`--report-file`, default .run/demo/assessment-report.html; `--open-report [file]` names the file too) and prints
// its path: the report URL only answers while the apps run, and scripts/demo.sh stops them unless --keep is given.
// Started by scripts/demo.sh once the three apps are ready. Exit code 0 only for a completed assessment.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type {
  AssessmentAcceptedDto,
  AssessmentStatusDto,
  CJAssessmentCompletedV1,
  CostQuote,
} from '#contracts';
import { rankingTable, summarise, summaryLines } from './demo-report.js';
import { sampleEssays, sampleRequest } from './sample-essays.js';

const { values: args } = parseArgs({
  options: {
    essays: { type: 'string', default: '40' },
    k: { type: 'string', default: '10' },
    quiet: { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '300' },
    'metrics-url': { type: 'string' },
    'api-url': { type: 'string', default: process.env.DEMO_API_URL ?? 'http://127.0.0.1:3000' },
    'open-report': { type: 'string' },
    'report-file': { type: 'string', default: '.run/demo/assessment-report.html' },
    /** Set by scripts/demo.sh --keep: the apps stay up, so the report URL keeps working after the demo. */
    'apps-kept': { type: 'boolean', default: false },
  },
});
const quiet = args.quiet;
const out = (line = '') => void (quiet || process.stdout.write(line + '\n'));
const apiUrl = args['api-url'].replace(/\/$/, '');
const apiKey = process.env.DEMO_API_KEY ?? process.env.API_KEYS?.split(',')[0]?.split(':').at(-1) ?? '';
const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };

const essays = sampleEssays(Number(args.essays));
const assessmentId = `demo-${Date.now().toString(36)}`;
const request = sampleRequest(assessmentId, essays, { comparisons_per_essay: Number(args.k) });

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
}

async function providerCalls(): Promise<number | null> {
  if (!args['metrics-url']) return null;
  try {
    const text = await (await fetch(args['metrics-url'])).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('llm_provider_http_calls_total'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  } catch {
    return null;
  }
}

let lastShown = -1;
/** One updating line on a terminal; otherwise a line per quarter, so logs stay short. */
function showProgress(done: number, total: number): void {
  if (quiet || total === 0) return;
  const steps = process.stdout.isTTY ? 20 : 4;
  const step = Math.floor((done / total) * steps);
  if (step === lastShown) return;
  lastShown = step;
  const bar = `${'█'.repeat(Math.floor((done / total) * 20))}`.padEnd(20, '░');
  const text = `  judged ${bar} ${done}/${total}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${text}${done === total ? '\n' : ''}`);
  else out(text);
}

/** The REST status in the shape of the outcome event, for the shared ranking and summary formatting. */
function asOutcome(status: AssessmentStatusDto): CJAssessmentCompletedV1 {
  const result = status.result!;
  return {
    assessment_id: status.assessment_id,
    rankings: result.rankings,
    ssr: result.ssr,
    position_bias: result.position_bias,
    position_effect: result.position_effect,
    provider: status.config.provider!,
    model: status.config.model ?? '',
    comparisons_requested: result.comparisons_requested,
    comparisons_succeeded: result.comparisons_succeeded,
    comparisons_failed: result.comparisons_failed,
    batches: status.progress.batches,
    cost_usd: status.cost.actual_cost_usd,
    individual_cost_usd: status.cost.individual_cost_usd,
    savings_usd: status.cost.savings_usd,
    duration_ms: result.duration_ms,
    correlation_id: status.correlation_id,
  };
}

const usd = (v: number | null) => (v === null ? 'unknown' : `$${v.toFixed(4)}`);
let exitCode = 1;
try {
  const quote = await api<CostQuote>('POST', '/api/v1/assessments/quote', request);
  out(
    `quote: ${quote.comparisons} comparisons on ${quote.provider}/${quote.model}, ~${quote.total_tokens} tokens, ` +
      `${usd(quote.batch_cost_usd)} as a batch vs ${usd(quote.individual_cost_usd)} individually`,
  );
  out(
    `submitting assessment ${assessmentId} (POST /api/v1/assessments): ${essays.length} essays, ${request.comparisons_per_essay} comparisons each`,
  );
  const callsBefore = await providerCalls();
  const startedAt = Date.now();
  const accepted = await api<AssessmentAcceptedDto>('POST', '/api/v1/assessments', request);
  const reportUrl = `${apiUrl}${accepted.report_url}`;
  out(`  status: ${apiUrl}${accepted.status_url}`);
  out(`  report (live while the apps run): ${reportUrl} (send "Authorization: Bearer <key>")`);

  const deadline = startedAt + Number(args['timeout-s']) * 1000;
  let status = await api<AssessmentStatusDto>('GET', accepted.status_url);
  while (['queued', 'running', 'cancelling'].includes(status.status)) {
    showProgress(status.progress.comparisons_done, status.progress.comparisons_total);
    if (Date.now() > deadline) throw new Error(`no outcome within ${args['timeout-s']} s`);
    await new Promise((r) => setTimeout(r, 250));
    status = await api<AssessmentStatusDto>('GET', accepted.status_url);
  }
  showProgress(status.progress.comparisons_done, status.progress.comparisons_total);
  const elapsed = Date.now() - startedAt;

  // Saved whatever the outcome (a failed assessment's report says why), while the api still answers: the file is
  // what stays usable after the demo, the URL is not (the apps are stopped unless --keep).
  const reportFile = resolve(args['open-report'] || args['report-file']);
  mkdirSync(dirname(reportFile), { recursive: true });
  writeFileSync(reportFile, await api<string>('GET', accepted.report_url));
  if (status.status !== 'completed') out(`report saved: file://${reportFile}`);

  if (status.status === 'completed') {
    const callsAfter = await providerCalls();
    const calls = callsBefore !== null && callsAfter !== null ? callsAfter - callsBefore : null;
    const outcome = asOutcome(status);
    const summary = summarise(outcome, essays, calls, elapsed);
    out();
    out(rankingTable(outcome, essays));
    out();
    for (const line of summaryLines(summary)) out(line);
    const effect = status.result?.position_effect;
    if (effect)
      out(
        `position effect (Essay A, logits): ${effect.estimate.toFixed(3)} ± ${effect.se?.toFixed(3) ?? 'n/a'}`,
      );
    out(
      `quoted ${usd(status.cost.quote?.estimated_cost_usd ?? null)}, spent ${usd(status.cost.actual_cost_usd)}`,
    );
    out(
      `open the report: file://${reportFile} (self-contained HTML: any browser, works offline, prints well)`,
    );
    out(
      args['apps-kept']
        ? `  live report (apps kept running): ${reportUrl} (send "Authorization: Bearer <key>")`
        : '  (the live report URL above stops answering when the demo ends and stops the apps; `bash scripts/demo.sh --keep` leaves them running)',
    );
    if (quiet) process.stdout.write(`DEMO_RESULT ${JSON.stringify(summary)}\n`);
    exitCode = 0;
  } else {
    process.stderr.write(
      `assessment ${status.status}: ${status.error?.reason_code}: ${status.error?.message}\n`,
    );
  }
} catch (err) {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
}
process.exit(exitCode);
