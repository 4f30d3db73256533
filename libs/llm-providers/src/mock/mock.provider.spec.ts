import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { runProviderContractSuite } from '../../testing/contract-suite.js';
import { makeMockHarness } from '../../testing/mock-harness.js';
import { createTestProviderDeps, makeContractRequests, type TestProviderDeps } from '../../testing/index.js';
import type { ProviderBatchRef } from '../core/llm-provider.js';
import { MockProvider } from './mock.provider.js';

runProviderContractSuite('mock', makeMockHarness);

describe('MockProvider', () => {
  let test: TestProviderDeps;
  afterEach(() => test.close());

  it('lets another process poll and collect a batch from the stored ref alone', async () => {
    let now = 1_000_000;
    test = createTestProviderDeps({ env: { MOCK_LATENCY_MS: '5000' }, clock: () => now });
    const requests = makeContractRequests(4, 'restart');
    const ref = await new MockProvider(test.deps).submitBatch(requests, {}, { batchKey: 'restart' });
    const stored = JSON.parse(JSON.stringify(ref)) as ProviderBatchRef;

    const restarted = new MockProvider(test.deps);
    now += 100;
    expect((await restarted.getBatchStatus(stored)).state).toBe('validating');
    now += 1_000;
    expect((await restarted.getBatchStatus(stored)).state).toBe('in_progress');
    now += 5_000;
    expect((await restarted.getBatchStatus(stored)).state).toBe('ended');
    const outcome = await restarted.collectBatchResults(stored);
    expect(outcome.responses.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    expect(outcome.responses[0].response_time_ms).toBe(6_100);
  });

  it('simulates item errors and expiry from its settings', async () => {
    test = createTestProviderDeps({
      env: { MOCK_ERROR_RATE: '0.2', MOCK_EXPIRY_RATE: '0.2', MOCK_SEED: '3' },
    });
    const provider = new MockProvider(test.deps);
    const requests = makeContractRequests(200, 'rates');
    const ref = await provider.submitBatch(requests, {}, { batchKey: 'rates' });
    const status = await provider.getBatchStatus(ref);
    expect(status.state).toBe('expired');
    expect(status.counts.failed).toBeGreaterThan(20);
    expect(status.counts.expired).toBeGreaterThan(10);
    const outcome = await provider.collectBatchResults(ref);
    const codes = new Set(outcome.errors.map((e) => e.error.code));
    expect(codes).toEqual(new Set(['INVALID_RESPONSE', 'BATCH_EXPIRED']));
    expect(outcome.errors.filter((e) => e.error.code === 'BATCH_EXPIRED')).toHaveLength(
      status.counts.expired,
    );
    expect(outcome.responses.length + outcome.errors.length).toBe(200);
  });

  it('writes justifications of MOCK_JUSTIFICATION_CHARS characters, in batches and individual calls', async () => {
    test = createTestProviderDeps({ env: { MOCK_JUSTIFICATION_CHARS: '1500' } });
    const provider = new MockProvider(test.deps);
    const requests = makeContractRequests(3, 'long');
    const outcome = await provider.collectBatchResults(
      await provider.submitBatch(requests, {}, { batchKey: 'long' }),
    );
    for (const response of outcome.responses) {
      expect(response.answer.justification).toHaveLength(1500);
      expect(
        response.answer.justification.startsWith(`${response.answer.winner} is the stronger essay`),
      ).toBe(true);
    }
    const single = await provider.generateComparison(requests[0], {});
    expect(single.answer.justification).toHaveLength(1500);
    expect(single.usage.completion_tokens).toBe(Math.ceil(1500 / 4) + 20);
  });

  it('appends one MOCK_AUDIT_FILE line per judgement it makes (what a test counts as "judged at the provider")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-audit-'));
    const file = join(dir, 'audit.log');
    try {
      test = createTestProviderDeps({ env: { MOCK_AUDIT_FILE: file } });
      const provider = new MockProvider(test.deps);
      const requests = makeContractRequests(3, 'audit');
      await provider.submitBatch(requests, {}, { batchKey: 'b 1' });
      await provider.generateComparison(requests[0], {});
      expect(readFileSync(file, 'utf8').trim().split('\n')).toEqual([
        ...requests.map((r) => `batch\tb_1\t${r.comparison_id}`),
        `individual\t-\t${requests[0].comparison_id}`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is unavailable when disabled', () => {
    test = createTestProviderDeps({ env: { MOCK_PROVIDER_ENABLED: 'false' } });
    expect(new MockProvider(test.deps).isConfigured()).toBe(false);
  });
});
