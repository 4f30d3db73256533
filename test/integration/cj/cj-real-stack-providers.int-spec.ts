import { EVENT_TYPES, type CJAssessmentCompletedV1, type ProviderName } from '#contracts';
import { spearman } from '#cj-scoring';
import {
  ANTHROPIC_ON_FAKE,
  GOOGLE_ON_FAKE,
  OPENAI_ON_FAKE,
  OPENROUTER_ON_FAKE,
} from '../../../libs/llm-providers/testing/fake-provider-harness.js';
import { sampleEssays, sampleRequest } from '../../../scripts/demo/sample-essays.js';
import { CjHarness } from './support/cj-harness.js';
import { startStack, stopStack } from './support/real-stack.js';

// Its own file: the CJ module takes its topics when first loaded, so each stack needs a fresh module registry.
// The real comparison service and CJ app against the four provider fakes, which answer the way the real APIs do:
// OpenAI with the dated snapshot (gpt-5.4-mini-2026-03-17), Gemini with a modelVersion, OpenRouter with its
// versioned slug. Before served_model existed, every OpenAI assessment failed here with CONFIG_MISMATCH.
describe('CJ on the real comparison service through each provider fake', () => {
  const harness = new CjHarness();
  const wirings = [OPENAI_ON_FAKE, GOOGLE_ON_FAKE, OPENROUTER_ON_FAKE, ANTHROPIC_ON_FAKE] as const;
  const fakes = wirings.map((w) => w.newFake());
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;

  beforeAll(async () => {
    await Promise.all(fakes.map((f) => f.start()));
    const env: Record<string, string> = {};
    wirings.forEach((wiring, i) => {
      const fake = fakes[i] as Parameters<typeof wiring.env>[0];
      for (const [k, v] of Object.entries(wiring.env(fake as never, fakes[i].apiKey))) if (v) env[k] = v;
    });
    stack = await startStack(harness, env);
  }, 120_000);
  afterAll(async () => {
    await stopStack(harness, stack);
    await Promise.all(fakes.map((f) => f.stop()));
  }, 60_000);

  const expectedModel: Record<string, string> = {
    anthropic: 'claude-haiku-4-5',
    openai: 'gpt-5.4-mini',
    google: 'gemini-3.1-flash-lite',
    openrouter: 'anthropic/claude-sonnet-4.6',
  };

  it.each(wirings.map((w) => w.name))(
    '%s: the assessment completes on the requested model with the planted ranking',
    async (provider: ProviderName) => {
      const id = `${harness.prefix}-${provider}`;
      const essays = sampleEssays(10);
      await harness.send(
        harness.requestEnvelope(
          sampleRequest(id, essays, {
            comparisons_per_essay: 4,
            llm_config: { provider_override: provider },
          }),
        ),
      );
      const outcome = await harness.outcome<CJAssessmentCompletedV1>(id, 60_000);
      expect(outcome.event_type).toBe(EVENT_TYPES.assessmentCompleted);
      expect(outcome.data).toMatchObject({
        provider,
        model: expectedModel[provider],
        comparisons_succeeded: 20,
      });
      expect(outcome.data.batches).toHaveLength(1);
      const quality = new Map(essays.map((e) => [e.essay_id, e.quality]));
      const rho = spearman(
        outcome.data.rankings.map((r) => r.score),
        outcome.data.rankings.map((r) => quality.get(r.essay_id)!),
      );
      expect(rho).toBeGreaterThanOrEqual(0.9);
    },
    90_000,
  );
});
