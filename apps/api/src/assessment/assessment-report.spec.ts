import type { AssessmentStatusDto } from '#contracts';
import { renderAssessmentReport } from './assessment-report.js';

function view(patch: Partial<AssessmentStatusDto> = {}): AssessmentStatusDto {
  return {
    assessment_id: 'a1',
    status: 'completed',
    correlation_id: 'c',
    accepted_at: '2026-11-30T08:00:00.000Z',
    essay_count: 3,
    progress: { comparisons_total: 3, comparisons_done: 3, comparisons_failed: 0, rounds: 1, batches: [] },
    config: { provider: 'mock', model: 'mock-judge-1', system_prompt_override: false },
    cost: { quote: null, actual_cost_usd: 0.01, individual_cost_usd: 0.02, savings_usd: 0.01 },
    result: {
      rankings: ['e1', 'e2', 'e3'].map((essay_id, i) => ({
        essay_id,
        score: 1 - i,
        se: i === 2 ? null : 0.4,
        rank: i + 1,
        wins: 2 - i,
        losses: i,
        comparisons: 2,
      })),
      ssr: 0.71,
      position_bias: { a_wins: 2, total: 3, share: 2 / 3 },
      position_effect: { estimate: 0.2, se: 0.1, ci_lower: 0.004, ci_upper: 0.396 },
      comparisons_requested: 3,
      comparisons_succeeded: 3,
      comparisons_failed: 0,
      duration_ms: 1000,
    },
    report_url: '/api/v1/assessments/a1/report',
    judgements_url: '/api/v1/assessments/a1/judgements',
    ...patch,
  };
}

describe('renderAssessmentReport', () => {
  it('draws one mark per essay, a bar per essay with an SE, and a table row per essay', () => {
    const html = renderAssessmentReport(view());
    expect(html.match(/<circle class="mark"/g)).toHaveLength(3);
    expect(html.match(/<line class="ci"/g)).toHaveLength(2);
    expect(html.match(/<tr data-essay-id=/g)).toHaveLength(3);
    expect(html).toContain('<dd id="ssr">0.710</dd>');
    expect(html).toContain('0.200 (SE 0.100; 95 % CI 0.004 to 0.396)');
    expect(html).toContain('@media print');
    expect(html).not.toContain('http-equiv="refresh"');
  });

  it('shows an unknown cost (a model without a price) as unknown, never as $0', () => {
    const html = renderAssessmentReport(
      view({ cost: { quote: null, actual_cost_usd: null, individual_cost_usd: null, savings_usd: null } }),
    );
    const row = /<tr id="cost-actual">.*?<\/tr>/s.exec(html)![0];
    expect(row).toContain('unknown');
    expect(row).not.toContain('$0');
  });

  it('is self-contained and escapes every text it shows', () => {
    const html = renderAssessmentReport(
      view({
        status: 'failed',
        result: undefined,
        error: { reason_code: 'BATCH_FAILED', message: '<img src=x onerror=alert(1)> "quoted"' },
      }),
    );
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('shows progress and refreshes while the assessment runs', () => {
    const html = renderAssessmentReport(
      view({
        status: 'running',
        result: undefined,
        progress: {
          comparisons_total: 10,
          comparisons_done: 4,
          comparisons_failed: 0,
          rounds: 1,
          batches: [],
        },
      }),
    );
    expect(html).toContain('http-equiv="refresh"');
    expect(html).toContain('4 of 10 comparisons judged');
    expect(html).toContain('style="width:40.0%"');
    expect(html).not.toContain('score-chart');
  });
});
