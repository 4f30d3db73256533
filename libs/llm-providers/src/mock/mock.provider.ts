import { appendFile } from 'node:fs/promises';
import type { ComparisonRequest, ResolvedLlmConfig } from '#contracts';
import { BaseBatchProvider, type CreatedPart, type PartContext } from '../core/base-batch-provider.js';
import type { ItemAnswer, PartItemResult, PartStatus } from '../core/batch-aggregation.js';
import type { NormalisedBatchState, ProviderBatchPart, ProviderBatchRef } from '../core/llm-provider.js';
import { writeJsonlFile } from '../core/jsonl-file.js';
import { buildComparisonPrompt } from '../core/prompt.js';
import type { ProviderDeps } from '../core/provider-deps.js';
import { ProviderError } from '../core/provider-error.js';
import {
  type MockJudgement,
  type PackedJudgement,
  judgeMock,
  mockJustification,
  packJudgement,
  unpackJudgement,
} from './mock-judge.js';

export interface MockProviderOptions {
  /** Test hook: requests for which this returns true come back as item errors. */
  failWhen?: (request: ComparisonRequest) => boolean;
}

/** What a mock part keeps in the ref: enough to answer status and results in any process, after a restart too. */
interface MockPartState {
  submitted_at_ms: number;
  /** Size of the JSONL input file the part was built into. */
  input_bytes?: number;
  judgements: PackedJudgement[];
}

/** Share of the latency a mock batch spends `validating` before `in_progress`. */
const VALIDATING_SHARE = 0.1;

/**
 * A provider without network for development, demos, tests and benchmarks. Judgements are deterministic
 * (mock-judge.ts); batches progress with the clock from their submission time, and their results live in the
 * ref itself, so another process can poll and collect them. Results are served in reverse order, like real
 * providers that do not keep request order. A cancel is remembered in memory only.
 */
export class MockProvider extends BaseBatchProvider {
  readonly name = 'mock' as const;
  private readonly canceledAt = new Map<string, number>();
  private sequence = 0;

  constructor(
    deps: ProviderDeps,
    private readonly options: MockProviderOptions = {},
  ) {
    super(deps);
  }

  override isConfigured(): boolean {
    return this.deps.config.mock.enabled;
  }

  protected async requestComparison(
    request: ComparisonRequest,
    config: ResolvedLlmConfig,
  ): Promise<ItemAnswer> {
    return this.call('comparison', async () => {
      const judgement = this.judge(request, config);
      if (judgement.outcome !== 'ok') throw simulatedFailure(judgement);
      await this.audit('individual', '-', [request]);
      return toItemAnswer(judgement, this.deps.config.mock.justificationChars);
    });
  }

  protected async createPart(requests: ComparisonRequest[], context: PartContext): Promise<CreatedPart> {
    // Like a real provider's input file, the part is serialised line by line to a temporary JSONL file (then
    // dropped: the mock needs only its judgements), so benchmarks measure and exercise the streamed build.
    const input = await writeJsonlFile(
      (function* () {
        for (const [i, request] of requests.entries()) {
          yield {
            custom_id: context.customIds.customIds[i],
            prompt: buildComparisonPrompt(request, context.config),
          };
        }
      })(),
      { name: `${context.batchKey}-part-${context.partIndex}` },
    );
    await input.remove();
    return this.call(
      'batch.create',
      async () => {
        const state: MockPartState = {
          submitted_at_ms: this.clock(),
          input_bytes: input.bytes,
          judgements: requests.map((request) => packJudgement(this.judge(request, context.config))),
        };
        await this.audit('batch', context.batchKey, requests);
        this.sequence += 1;
        const key = context.batchKey.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, 40);
        const id = `mockbatch_${key}_${context.partIndex}_${this.clock().toString(36)}${this.sequence}`;
        return { provider_batch_id: id, state: state as unknown as Record<string, unknown> };
      },
      { idempotent: false },
    );
  }

  protected async fetchPartStatus(part: ProviderBatchPart): Promise<PartStatus> {
    return this.call('batch.status', async () => {
      const state = readState(part);
      const phase = this.partState(part, state);
      const outcomes = state.judgements.map((j) => unpackJudgement(j).outcome);
      const size = outcomes.length;
      if (phase !== 'ended' && phase !== 'expired') {
        return {
          state: phase,
          raw_status: phase,
          counts: {
            total: size,
            processing: phase === 'canceled' ? 0 : size,
            canceled: phase === 'canceled' ? size : 0,
          },
        };
      }
      return {
        state: phase,
        raw_status: phase,
        counts: {
          total: size,
          succeeded: outcomes.filter((o) => o === 'ok').length,
          failed: outcomes.filter((o) => o === 'error').length,
          expired: outcomes.filter((o) => o === 'expired').length,
          processing: 0,
          canceled: 0,
        },
      };
    });
  }

  /** Built item by item from the ref, last first (real providers do not keep request order either). */
  protected async *streamPartResults(
    part: ProviderBatchPart,
    _ref: ProviderBatchRef,
    status: PartStatus,
  ): AsyncIterable<PartItemResult> {
    if (status.state === 'canceled') return;
    const state = await this.call('batch.results', async () => readState(part));
    const justificationChars = this.deps.config.mock.justificationChars;
    for (let index = state.judgements.length - 1; index >= 0; index -= 1) {
      const judgement = unpackJudgement(state.judgements[index]);
      const comparisonId = part.comparison_ids[index];
      if (judgement.outcome === 'expired') continue; // never finished: reported as BATCH_EXPIRED by the merge
      yield judgement.outcome === 'error'
        ? { comparison_id: comparisonId, error: simulatedFailure(judgement) }
        : { comparison_id: comparisonId, answer: toItemAnswer(judgement, justificationChars) };
    }
  }

  protected async cancelPart(part: ProviderBatchPart): Promise<void> {
    await this.call('batch.cancel', async () => {
      this.canceledAt.set(part.provider_batch_id, this.clock());
    });
  }

  private judge(request: ComparisonRequest, config: ResolvedLlmConfig): MockJudgement {
    const judgement = judgeMock(request, config.system_prompt, this.deps.config.mock);
    return this.options.failWhen?.(request) ? { ...judgement, outcome: 'error' } : judgement;
  }

  /** `MOCK_AUDIT_FILE`: one line per judgement, appended in one write per call (O_APPEND; shared by processes). */
  private async audit(kind: string, batchKey: string, requests: ComparisonRequest[]): Promise<void> {
    const file = this.deps.config.mock.auditFile;
    if (!file) return;
    const key = batchKey.replace(/\s/g, '_');
    await appendFile(file, requests.map((r) => `${kind}\t${key}\t${r.comparison_id}\n`).join(''));
  }

  private partState(part: ProviderBatchPart, state: MockPartState): NormalisedBatchState {
    if (this.canceledAt.has(part.provider_batch_id)) return 'canceled';
    const latency = this.deps.config.mock.latencyMs;
    const elapsed = this.clock() - state.submitted_at_ms;
    if (elapsed < latency * VALIDATING_SHARE) return 'validating';
    if (elapsed < latency) return 'in_progress';
    return state.judgements.some((j) => unpackJudgement(j).outcome === 'expired') ? 'expired' : 'ended';
  }
}

function toItemAnswer(judgement: MockJudgement, justificationChars: number): ItemAnswer {
  return {
    answer: {
      winner: judgement.winner,
      justification: mockJustification(judgement.winner, judgement.confidence, justificationChars),
      confidence: judgement.confidence,
    },
    usage: judgement.usage,
  };
}

function simulatedFailure(judgement: MockJudgement): ProviderError {
  // Non-retryable on purpose: a deterministic simulated failure would fail every retry and trip the breaker.
  return judgement.outcome === 'expired'
    ? new ProviderError('TIMEOUT', 'mock: simulated request that never finished', {
        provider: 'mock',
        retryable: false,
      })
    : new ProviderError('INVALID_RESPONSE', 'mock: simulated unusable answer', { provider: 'mock' });
}

function readState(part: ProviderBatchPart): MockPartState {
  const state = part.state as Partial<MockPartState> | undefined;
  const valid =
    typeof state?.submitted_at_ms === 'number' &&
    Array.isArray(state.judgements) &&
    state.judgements.length === part.comparison_ids.length;
  if (!valid) {
    throw new ProviderError('INVALID_REQUEST', `mock: part ${part.provider_batch_id} has no usable state`, {
      provider: 'mock',
    });
  }
  return state as MockPartState;
}
