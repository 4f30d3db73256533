import { mkdirSync } from 'node:fs';
import request from 'supertest';
import type { AssessmentJudgementsPageDto, AssessmentStatusDto, CostQuote } from '#contracts';
import { spearman } from '#cj-scoring';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { launchChromium } from '../../support/headless-chromium.js';
import { waitFor } from '../../support/wait-for.js';
import { API_KEY as CJ_KEY, CjHarness } from './support/cj-harness.js';
import { assessmentEnded, startStack, stopStack } from './support/real-stack.js';

// Two tenants (teachers' teams) with their own keys; the CJ app uses the harness's key (a third tenant).
const ALPHA_KEY = 'alpha-rest-key-0123456789';
const BETA_KEY = 'beta-rest-key-0123456789';
const alpha = { Authorization: `Bearer ${ALPHA_KEY}` };
const beta = { Authorization: `Bearer ${BETA_KEY}` };
const ESSAYS = 30;
export const SCREENSHOT = 'test/artifacts/assessment-report.png';

/** Sample essays padded to a realistic length (~1,800 characters: a 300-word school essay). */
function realisticRequest(id: string) {
  const essays = sampleEssays(ESSAYS).map((e) => ({
    ...e,
    text: `${'Students and teachers disagree about this policy, and the essay weighs both views. '.repeat(21)}\n\n${e.text}`,
  }));
  return { essays, body: sampleRequest(id, essays) };
}

describe('assessments over REST (api + batch-worker + cj-integration, real Redis + Kafka, Mock provider)', () => {
  const harness = new CjHarness();
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  const http = () => request(stack!.api.getHttpServer());

  beforeAll(async () => {
    stack = await startStack(harness, {}, { extraApiKeys: [`alpha:${ALPHA_KEY}`, `beta:${BETA_KEY}`] });
  }, 120_000);
  afterAll(async () => stopStack(harness, stack), 60_000);

  it('quotes before spending, refuses above max_cost_usd with 422 and stores nothing', async () => {
    const { body } = realisticRequest(`${harness.prefix}-quoted`);
    const quote = await http().post('/api/v1/assessments/quote').set(alpha).send(body);
    expect(quote.status).toBe(200);
    const q = quote.body as CostQuote;
    expect(q).toMatchObject({ provider: 'mock', model: 'mock-judge-1', comparisons: 150, batch_api: true });
    // ~1,900 characters per essay, two per comparison: well over 900 input tokens each.
    expect(q.prompt_tokens / q.comparisons).toBeGreaterThan(900);
    expect(q.batch_cost_usd).toBeCloseTo(q.individual_cost_usd! / 2, 9);
    expect(q.estimated_cost_usd).toBe(q.batch_cost_usd);

    const refused = await http()
      .post('/api/v1/assessments')
      .set(alpha)
      .send({ ...body, max_cost_usd: q.batch_cost_usd! / 2 });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', field: 'max_cost_usd' });
    expect((await http().get(`/api/v1/assessments/${body.assessment_id}`).set(alpha)).status).toBe(404);

    const docs = await http().get('/docs-json').expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/assessments',
        '/api/v1/assessments/quote',
        '/api/v1/assessments/{assessment_id}',
        '/api/v1/assessments/{assessment_id}/judgements',
        '/api/v1/assessments/{assessment_id}/report',
        '/api/v1/assessments/{assessment_id}/cancel',
        '/api/v1/comparison/batch/quote',
      ]),
    );
    expect(docs.body.components.schemas.AssessmentSubmitDto.required).toEqual(
      expect.arrayContaining(['essays', 'assignment', 'criteria', 'llm_config']),
    );
    expect(docs.body.components.schemas.AssessmentSubmitDto.required).not.toContain('assessment_id');

    const batchQuote = await http()
      .post('/api/v1/comparison/batch/quote')
      .set(alpha)
      .send({
        comparisons: [0, 1].map((i) => ({
          comparison_id: `q${i}`,
          user_prompt: 'Which essay argues better?',
          essay_a: 'x'.repeat(2000),
          essay_b: 'y'.repeat(2000),
        })),
      });
    expect(batchQuote.status).toBe(200);
    expect(batchQuote.body).toMatchObject({ comparisons: 2, provider: 'mock' });
  });

  it('runs an assessment posted over REST: owner-only status, ranking, judgements in pair order, report', async () => {
    const { essays, body } = realisticRequest(`${harness.prefix}-rest`);
    const id = body.assessment_id;
    const accepted = await http()
      .post('/api/v1/assessments')
      .set(alpha)
      .send({ ...body, max_cost_usd: 5 });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      assessment_id: id,
      status_url: `/api/v1/assessments/${id}`,
      report_url: `/api/v1/assessments/${id}/report`,
      quote: { comparisons: 150 },
    });
    // The same body again is the same assessment; another tenant can neither see nor take the id.
    expect(
      (
        await http()
          .post('/api/v1/assessments')
          .set(alpha)
          .send({ ...body, max_cost_usd: 5 })
      ).status,
    ).toBe(202);
    expect((await http().get(`/api/v1/assessments/${id}`).set(beta)).status).toBe(404);
    const taken = await http().post('/api/v1/assessments').set(beta).send(body);
    expect(taken.status).toBe(409);
    expect(taken.body.error.field).toBe('assessment_id');

    const done = await assessmentEnded(stack!.api, alpha, id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.progress).toMatchObject({ comparisons_total: 150, comparisons_done: 150, rounds: 1 });
    expect(done.progress.batches).toHaveLength(1);
    expect(done.config).toMatchObject({ provider: 'mock', model: 'mock-judge-1', temperature: 0 });
    const result = done.result!;
    expect(result.rankings).toHaveLength(ESSAYS);
    expect(result.ssr).toBeGreaterThan(0.7);
    expect(result.position_effect).toEqual(expect.objectContaining({ estimate: expect.any(Number) }));
    const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
    const rho = spearman(
      result.rankings.map((r) => r.score),
      result.rankings.map((r) => quality.get(r.essay_id)!),
    );
    expect(rho).toBeGreaterThanOrEqual(0.9);
    // Actual cost beside the quote.
    expect(done.cost.quote?.comparisons).toBe(150);
    expect(done.cost.actual_cost_usd).toBeGreaterThan(0);
    expect(done.cost.individual_cost_usd).toBeGreaterThan(done.cost.actual_cost_usd!);

    const page = (await http().get(`/api/v1/assessments/${id}/judgements?offset=140&limit=20`).set(alpha))
      .body as AssessmentJudgementsPageDto;
    expect(page).toMatchObject({ total: 150, offset: 140, next_offset: null });
    expect(page.items.map((j) => j.pair_index)).toEqual([...Array(10).keys()].map((i) => 140 + i));
    for (const j of page.items) {
      expect(j.status).toBe('judged');
      expect(j.winner_essay_id).toBe(j.winner === 'Essay A' ? j.essay_a : j.essay_b);
      expect(typeof j.justification).toBe('string');
    }
    expect((await http().get(`/api/v1/assessments/${id}/judgements`).set(beta)).status).toBe(404);

    // The report in a real browser: one chart mark per essay, the table equal to the JSON ranking.
    const url = await stack!.api.getUrl();
    const reportUrl = `${url.replace('[::1]', '127.0.0.1')}/api/v1/assessments/${id}/report`;
    const { context, close } = await launchChromium({ extraHTTPHeaders: alpha });
    try {
      const pageInBrowser = await context.newPage();
      const response = await pageInBrowser.goto(reportUrl);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-type']).toContain('text/html');
      expect(await pageInBrowser.locator('#status').textContent()).toBe('completed');
      expect(await pageInBrowser.locator('svg#score-chart circle.mark').count()).toBe(ESSAYS);
      expect(await pageInBrowser.locator('svg#score-chart line.ci').count()).toBe(ESSAYS);
      const rows = await pageInBrowser
        .locator('#ranking tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(rows).toEqual(
        result.rankings.map((r) => [
          String(r.rank),
          r.essay_id,
          r.score.toFixed(3),
          r.se === null ? '–' : r.se.toFixed(3),
          r.se === null
            ? '–'
            : `${(r.score - 1.96 * r.se).toFixed(2)} to ${(r.score + 1.96 * r.se).toFixed(2)}`,
          String(r.wins),
          String(r.losses),
          String(r.comparisons),
        ]),
      );
      // Marks in rank order: the chart's dots fall from left to right.
      const ys = await pageInBrowser
        .locator('svg#score-chart circle.mark')
        .evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cy'))));
      expect([...ys].sort((a, b) => a - b)).toEqual(ys);
      expect(await pageInBrowser.locator('#ssr').textContent()).toBe(result.ssr!.toFixed(3));
      expect(await pageInBrowser.locator('#provider').textContent()).toBe('mock');
      // Self-contained: nothing but the page itself was requested.
      const external: string[] = [];
      pageInBrowser.on('request', (r) => external.push(r.url()));
      await pageInBrowser.reload();
      expect(external).toEqual([reportUrl]);
      mkdirSync('test/artifacts', { recursive: true });
      await pageInBrowser.screenshot({ path: SCREENSHOT, fullPage: true });
      await pageInBrowser.emulateMedia({ media: 'print' });
      expect(await pageInBrowser.locator('svg#score-chart circle.mark').count()).toBe(ESSAYS);
    } finally {
      await close();
    }
  }, 120_000);

  it('cancels a running assessment through the shared store: its batch is cancelled, the outcome is CANCELLED', async () => {
    // No worker from here on: the batch stays queued, so the assessment is still running when cancelled.
    await stack!.worker.stop();
    stack!.worker.stop = async () => undefined;
    const { body } = realisticRequest(`${harness.prefix}-cancel`);
    const id = body.assessment_id;
    expect((await http().post('/api/v1/assessments').set(alpha).send(body)).status).toBe(202);
    const running = await waitFor(
      async () => (await http().get(`/api/v1/assessments/${id}`).set(alpha)).body as AssessmentStatusDto,
      (s) => s.status === 'running' && s.progress.batches[0]?.batch_id !== '',
      { timeoutMs: 30_000, intervalMs: 100, what: `assessment ${id} to submit its batch` },
    );
    const batchId = running.progress.batches[0].batch_id;
    expect((await http().post(`/api/v1/assessments/${id}/cancel`).set(beta)).status).toBe(404);
    const cancel = await http().post(`/api/v1/assessments/${id}/cancel`).set(alpha);
    expect(cancel.status).toBe(202);
    expect(cancel.body.status).toBe('cancelling');

    const outcome = await harness.outcome<{ reason_code: string }>(id, 30_000);
    expect(outcome.data.reason_code).toBe('CANCELLED');
    const ended = (await http().get(`/api/v1/assessments/${id}`).set(alpha)).body as AssessmentStatusDto;
    expect(ended.status).toBe('cancelled');
    expect(ended.error?.reason_code).toBe('CANCELLED');
    const batch = await http()
      .get(`/api/v1/comparison/batch/${batchId}`)
      .set({ Authorization: `Bearer ${CJ_KEY}` });
    expect(batch.body.cancel_requested).toBe(true);
    expect((await http().post(`/api/v1/assessments/${id}/cancel`).set(alpha)).status).toBe(200);
  }, 90_000);
});
