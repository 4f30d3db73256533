import { Inject, Injectable } from '@nestjs/common';
import { BatchRepository, isTerminal, type BatchRecord } from '#batch-store';
import {
  mapWithConcurrency,
  normalizeProviderError,
  toOverrides,
  type LlmProvider,
  type ProviderError,
} from '#llm-providers';
import type { WorkerEnv } from '../config/worker-env.js';
import { WORKER_ENV } from '../worker.tokens.js';
import { startedEvent } from './batch-events.js';
import { BatchFinisher } from './batch-finisher.js';
import { toComparisonRequest } from './request-conversion.js';
import { ProviderPauser } from './provider-pauser.js';
import { failureOf, failureResult, successResult } from './result-mapper.js';
import type { StepOutcome } from './step-outcome.js';

const PAUSING_CODES = new Set(['RATE_LIMIT', 'CIRCUIT_OPEN']);

/**
 * Serves a batch (or one individual request) with concurrent single calls under a cap: the rollback path when
 * batch processing is off, and the individual endpoint. Each result is stored as it arrives, so a restarted run
 * only calls the provider for comparisons still without a result. A 429 pauses the provider's model (an open circuit the provider) instead of failing items.
 */
@Injectable()
export class IndividualRunner {
  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(BatchFinisher) private readonly finisher: BatchFinisher,
    @Inject(ProviderPauser) private readonly pauser: ProviderPauser,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
  ) {}

  async run(record: BatchRecord, provider: LlmProvider): Promise<StepOutcome> {
    const id = record.batch_id;
    let current: BatchRecord | null = record;
    if (record.status === 'queued') {
      const now = new Date();
      const events = record.kind === 'batch' ? [startedEvent({ ...record, mode: 'individual' }, now)] : [];
      const patch = { mode: 'individual' as const, submitted_at: now.toISOString() };
      current =
        (await this.repo.transition(id, ['queued'], 'in_progress', patch, events)) ??
        (await this.repo.get(id));
    }
    if (!current) return { kind: 'done', status: 'missing' };
    if (isTerminal(current.status)) return { kind: 'done', status: current.status };
    const active = current;

    // Both reads in one round trip (ioredis pipelines commands issued together).
    const [done, requests] = await Promise.all([this.repo.storedIndexes(id), this.repo.getRequests(id)]);
    const todo = requests.filter((r) => !done.has(r.index));
    const overrides = toOverrides(active.config);
    let pause: ProviderError | undefined;
    let canceled = active.cancel_requested === true;

    await mapWithConcurrency(todo, this.env.INDIVIDUAL_CONCURRENCY, async (request) => {
      if (pause || canceled) return;
      if (active.kind === 'batch' && (await this.repo.isCancelRequested(id))) {
        canceled = true;
        return;
      }
      let outcome;
      try {
        const response = await provider.generateComparison(toComparisonRequest(request), overrides);
        outcome = successResult(active, request, response, new Date());
      } catch (err) {
        const error = normalizeProviderError(err, provider.name);
        if (PAUSING_CODES.has(error.code)) {
          pause ??= error;
          return;
        }
        outcome = failureResult(active, request, failureOf(error), new Date());
      }
      await this.finisher.store(active, [outcome]);
    });

    if (canceled) {
      await this.finisher.failRemaining(active, { code: 'CANCELED', message: 'The batch was canceled' });
      return this.finisher.finish(id, 'canceled');
    }
    if (pause) return this.pauser.pauseFor(active, pause);
    return this.finisher.finish(id, 'completed');
  }
}
