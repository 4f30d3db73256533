import 'reflect-metadata';
import { Controller, Get, Param, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppMetrics } from './app-metrics.js';
import { httpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsModule } from './metrics.module.js';

@Controller('things')
class ThingsController {
  @Get(':id')
  get(@Param('id') id: string) {
    return { id };
  }
}

describe('MetricsModule', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ service: 'spec-service', defaultMetrics: false })],
      controllers: [ThingsController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use(httpMetricsMiddleware(app.get(AppMetrics)));
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves the Prometheus text format with the service label', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE llm_comparisons_total counter');
    expect(res.text).toContain('# TYPE llm_provider_circuit_state gauge');
  });

  it('counts requests by route template, not by raw URL', async () => {
    await request(app.getHttpServer()).get('/things/a1').expect(200);
    await request(app.getHttpServer()).get('/things/b2').expect(200);
    await request(app.getHttpServer()).get('/nowhere').expect(404);
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text).toContain(
      'http_requests_total{method="GET",route="/things/:id",status="200",service="spec-service"} 2',
    );
    expect(res.text).toContain(
      'http_requests_total{method="GET",route="unmatched",status="404",service="spec-service"} 1',
    );
    expect(res.text).not.toContain('a1');
  });
});

describe('AppMetrics', () => {
  const metricValue = async (metrics: AppMetrics, name: string, labels: Record<string, string>) => {
    const metric = await metrics.registry.getSingleMetric(name)?.get();
    const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return match?.value;
  };

  it('records tokens per kind, skipping zero and missing kinds', async () => {
    const metrics = new AppMetrics('t', { defaultMetrics: false });
    metrics.recordUsage('mock', 'm1', { prompt_tokens: 10, completion_tokens: 5, cache_read_tokens: 0 });
    expect(await metricValue(metrics, 'llm_tokens_total', { kind: 'prompt' })).toBe(10);
    expect(await metricValue(metrics, 'llm_tokens_total', { kind: 'completion' })).toBe(5);
    expect(await metricValue(metrics, 'llm_tokens_total', { kind: 'cache_read' })).toBeUndefined();
  });

  it('records cost and the savings over individual pricing, never negative savings', async () => {
    const metrics = new AppMetrics('t', { defaultMetrics: false });
    metrics.recordCost('anthropic', 'c', 0.5, 1.0);
    metrics.recordCost('openai', 'o', 0.5, 0.4);
    expect(await metricValue(metrics, 'llm_cost_usd_total', { provider: 'anthropic' })).toBe(0.5);
    expect(await metricValue(metrics, 'llm_estimated_savings_usd_total', { provider: 'anthropic' })).toBe(
      0.5,
    );
    expect(
      await metricValue(metrics, 'llm_estimated_savings_usd_total', { provider: 'openai' }),
    ).toBeUndefined();
  });

  it('maps circuit states to gauge values and keeps separate registries per instance', async () => {
    const a = new AppMetrics('a', { defaultMetrics: false });
    const b = new AppMetrics('b', { defaultMetrics: false });
    a.setCircuitState('google', 'open');
    a.recordProviderCall({
      provider: 'google',
      operation: 'batch.create',
      outcome: 'error',
      error_code: 'RATE_LIMIT',
      duration_ms: 20,
    });
    a.recordComparisons('mock', 'batch', 'success', 3);
    expect(await metricValue(a, 'llm_provider_circuit_state', { provider: 'google' })).toBe(2);
    expect(await metricValue(a, 'llm_provider_http_calls_total', { error_code: 'RATE_LIMIT' })).toBe(1);
    expect(await metricValue(a, 'llm_comparisons_total', { mode: 'batch', outcome: 'success' })).toBe(3);
    expect(await metricValue(b, 'llm_provider_circuit_state', { provider: 'google' })).toBeUndefined();
  });
});
