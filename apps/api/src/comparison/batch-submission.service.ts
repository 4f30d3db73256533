import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CALLER_ID_PATTERN,
  CALLER_ID_RULE,
  PRIORITY,
  type BatchAcceptedDto,
  type BatchCompletedDto,
  type ComparisonAcceptedDto,
  type ComparisonBatchRequestDto,
  type ComparisonRequest,
  type ComparisonRequestDto,
  type ComparisonStatusDto,
  type CostQuote,
  type EssayBatchRequestDto,
  type EssayPairDto,
  type RequestOptionsDto,
} from '#contracts';
import { CorrelationContext } from '#infra';
import {
  BatchQueues,
  BatchRepository,
  IdempotencyConflictError,
  isEssayContent,
  REQUEST_HASH_VERSION,
  storedContent,
  type BatchContent,
  type BatchKind,
  type BatchRecord,
  type EssayBatchContent,
  type NewBatchRecord,
} from '#batch-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { parsePreferWait } from '../http/prefer-wait.js';
import { BatchWaiter, type FinishedBatch, type HeldRequest } from './batch-waiter.js';
import { DirectRunner, type RunDecision } from './direct-runner.js';
import type { EarlyAdmission } from './single-admission.js';
import { toBatchAccepted, toComparisonAccepted, toComparisonStatus, toResultItem } from './batch-view.js';
import type { HttpOutcome } from './http-outcome.js';
import { TenantRateLimiter } from '../rate-limit/tenant-rate-limiter.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import { CallbackTopicPolicy } from '../topics/callback-topic.policy.js';
import { ProviderSelectionService } from './provider-selection.service.js';
import { canonicalItemJson, EncodedArray, requestHash } from './request-hash.js';

/** The caller's HTTP-level preferences that shape an acceptance. */
export interface SubmissionHeaders {
  idempotencyKey?: string;
  prefer?: string | string[];
}

interface Acceptance {
  principal: ApiPrincipal;
  kind: BatchKind;
  options: RequestOptionsDto;
  content: BatchContent;
  /** Namespaced by tenant and kind: tenants never share keys, nor a batch and an individual request. */
  idempotencyKey: string | null;
  /** Where the key came from, named by a 409. */
  idempotencySource?: 'Idempotency-Key' | 'correlation_id';
  hashInput: unknown;
  /** The cost quote of a batch, stored with it so the finished batch shows it beside the actual cost. */
  quote?: CostQuote;
  /** What was done before the body was read (an individual request): its reservation and circuit read. */
  early?: EarlyAdmission;
  /**
   * An individual request this process may run itself: the lease to ask the lane for when nothing is queued, or,
   * `takenAhead`, the lease taken before the body was read (the early admission): the request is then stored
   * already running, its lease confirmed and its provider's pause read in the same write.
   */
  lease?: { ms: number; takenAhead: boolean };
  /**
   * Called with the record being stored, as soon as its create is sent (before its answer): an individual request
   * whose lease was taken ahead starts its run then (see DirectRunner.runAhead).
   */
  onStoring?: (record: BatchRecord) => void;
}

/** What an acceptance stored, and whether the lane leased the new request to this process. */
interface Accepted {
  batch: BatchRecord;
  leased: boolean;
  /** For a request stored running (lease taken ahead): its provider/model's pause, read with the create. */
  paused?: Promise<number>;
}

/**
 * Accepts work: snapshot the provider config → store the batch (atomic with its idempotency key) → enqueue →
 * 202, or hold the request for `Prefer: wait=N` and answer 200 with the results. Everything that can reject a
 * request runs before the store, so a rejected request stores and enqueues nothing.
 */
@Injectable()
export class BatchSubmissionService {
  private readonly logger = new Logger(BatchSubmissionService.name);

  constructor(
    private readonly repository: BatchRepository,
    private readonly queues: BatchQueues,
    private readonly providers: ProviderSelectionService,
    private readonly waiter: BatchWaiter,
    private readonly quotes: CostQuoteService,
    private readonly callbackTopics: CallbackTopicPolicy,
    private readonly limiter: TenantRateLimiter,
    private readonly direct: DirectRunner,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async submitBatch(
    principal: ApiPrincipal,
    body: ComparisonBatchRequestDto | EssayBatchRequestDto,
    headers: SubmissionHeaders,
  ): Promise<HttpOutcome<BatchAcceptedDto | BatchCompletedDto>> {
    const wait = parsePreferWait(headers.prefer, this.settings.preferWaitMaxSeconds);
    const header = checkedIdempotencyKey(headers.idempotencyKey);
    const key = header ?? body.correlation_id ?? null;
    const quote = await this.quotes.quoteBatch(body);
    this.quotes.enforceLimit(quote, body.max_cost_usd);
    const batchId = randomUUID();
    const held = wait.applied > 0 ? this.waiter.hold(batchId) : undefined;
    const { batch } = await this.accept(
      {
        principal,
        kind: 'batch',
        options: body,
        content: 'essays' in body ? toEssayContent(body) : body.comparisons.map(toComparisonRequest),
        idempotencyKey: key === null ? null : `${principal.tenant_id}:batch:${key}`,
        idempotencySource: header !== null ? 'Idempotency-Key' : 'correlation_id',
        hashInput: body,
        quote,
      },
      batchId,
    );
    const finished = held
      ? await this.waitFor(batch, batchId, wait.applied, batch.comparison_count, held)
      : null;
    const applied = wait.requested > 0 ? { 'Preference-Applied': `wait=${wait.applied}` } : undefined;
    if (!finished) return { status: HttpStatus.ACCEPTED, body: toBatchAccepted(batch), headers: applied };
    return {
      status: HttpStatus.OK,
      body: { ...toBatchAccepted(finished.record), results: finished.results.map(toResultItem) },
      headers: applied,
    };
  }

  /**
   * A sealed multi-part upload becomes a batch with the upload's id. Idempotent like the batch endpoint: the same
   * content under the same correlation_id is the same batch (sent whole or in parts).
   */
  async acceptUpload(
    principal: ApiPrincipal,
    options: RequestOptionsDto,
    content: EssayBatchContent,
    uploadId: string,
    quote?: CostQuote,
  ): Promise<BatchRecord> {
    const key = options.correlation_id ?? null;
    const { batch } = await this.accept(
      {
        principal,
        kind: 'batch',
        options,
        content,
        idempotencyKey: key === null ? null : `${principal.tenant_id}:batch:${key}`,
        idempotencySource: 'correlation_id',
        hashInput: { ...options, ...content },
        ...(quote ? { quote } : {}),
      },
      uploadId,
    );
    return batch;
  }

  /**
   * The individual endpoint: idempotent by Idempotency-Key only (its callers reuse correlation ids). With an
   * early admission, the queue id is the one its in-flight reservation was made for.
   */
  async submitSingle(
    principal: ApiPrincipal,
    body: ComparisonRequestDto,
    headers: SubmissionHeaders,
    admission?: Promise<EarlyAdmission | undefined>,
  ): Promise<HttpOutcome<ComparisonAcceptedDto | ComparisonStatusDto>> {
    // First: the admission's refusal (429) outranks whatever else could be wrong with the request.
    const early = await admission;
    const wait = parsePreferWait(headers.prefer, this.settings.preferWaitMaxSeconds);
    const key = checkedIdempotencyKey(headers.idempotencyKey);
    const queueId = early?.batchId ?? randomUUID();
    const comparisonId = body.comparison_id ?? queueId;
    const held = wait.applied > 0 ? this.waiter.hold(queueId) : undefined;
    // A caller who waits may have the request run in this process, when a slot is free and nothing is queued: its
    // lease taken before the body was read (the early admission), or asked for with the enqueue.
    const earlySlot = held ? (early?.direct?.take() ?? null) : null;
    const direct = earlySlot
      ? { slot: earlySlot, leaseMs: early!.direct!.leaseMs }
      : held
        ? this.direct.reserve()
        : null;
    // Object.assign onto fresh objects, not leading spreads that add a field (Node 20's V8 slow path, see
    // bench/hot-object-shapes.bench.ts): this runs for every individual request.
    const request = toComparisonRequest(Object.assign({}, body, { comparison_id: comparisonId }));
    const stored = Object.assign({}, request, { index: 0 });
    // With its lease taken ahead, the run starts while the request is being stored; the acceptance then decides.
    const ahead = earlySlot ? { slot: earlySlot, decision: deferred<RunDecision>() } : undefined;
    let startedAhead: Promise<FinishedBatch | null> | undefined;
    let accepted: Accepted;
    try {
      accepted = await this.accept(
        {
          principal,
          kind: 'single',
          options: body,
          content: [request],
          idempotencyKey: key === null ? null : `${principal.tenant_id}:single:${key}`,
          idempotencySource: 'Idempotency-Key',
          hashInput: body,
          early,
          ...(direct ? { lease: { ms: direct.leaseMs, takenAhead: earlySlot !== null } } : {}),
          ...(ahead
            ? {
                onStoring: (record: BatchRecord) => {
                  // After the create's write has left (its socket is flushed on this tick's queue, first).
                  process.nextTick(() => {
                    startedAhead = this.direct.runAhead(ahead.slot, record, stored, ahead.decision.promise);
                  });
                },
              }
            : {}),
        },
        queueId,
      );
    } catch (err) {
      ahead?.decision.resolve({ go: false });
      if (earlySlot) this.direct.giveBack(queueId, earlySlot);
      else direct?.slot.release();
      throw err;
    }
    const { batch, leased, paused } = accepted;
    // A request stored running (its lease taken ahead) is run by the run started ahead, or by the workers.
    if (ahead) {
      const versioned = { record: batch, rev: '1' };
      ahead.decision.resolve(
        leased && paused
          ? paused.then(
              (ms): RunDecision => (ms > 0 ? { go: false, handBack: versioned } : { go: true, versioned }),
              (): RunDecision => ({ go: false, handBack: versioned }),
            )
          : { go: false },
      );
    }
    const run = ahead
      ? startedAhead
      : direct && leased
        ? this.direct.run(direct.slot, batch, stored)
        : undefined;
    if (!run) direct?.slot.release();
    const finished = held ? await this.waitFor(batch, queueId, wait.applied, 1, held, run) : null;
    const applied = wait.requested > 0 ? { 'Preference-Applied': `wait=${wait.applied}` } : undefined;
    if (!finished)
      return { status: HttpStatus.ACCEPTED, body: toComparisonAccepted(batch), headers: applied };
    const [result] = finished.results;
    const storedId =
      result?.comparison_id ??
      (await this.repository.getRequests(finished.record.batch_id))[0]?.comparison_id;
    return {
      status: HttpStatus.OK,
      body: toComparisonStatus(finished.record, storedId ?? comparisonId, result),
      headers: applied,
    };
  }

  /**
   * Holds the request until the batch ends. When `batch` is the one just created under `newId`, the first read
   * is skipped (it is queued); an idempotent repeat returned another batch, which is read first. `run`: this
   * process runs the request itself; its end answers at once (null: it went to the workers, and the wait goes on).
   */
  private waitFor(
    batch: BatchRecord,
    newId: string,
    seconds: number,
    resultsLimit: number,
    held: HeldRequest,
    run?: Promise<FinishedBatch | null>,
  ): Promise<FinishedBatch | null> {
    const fresh = batch.batch_id === newId && (batch.status === 'queued' || batch.status === 'in_progress');
    return this.waiter.waitForTerminal(batch.batch_id, seconds, resultsLimit, {
      held,
      knownActive: fresh,
      ...(run ? { run } : {}),
    });
  }

  private async accept(acceptance: Acceptance, batchId: string = randomUUID()): Promise<Accepted> {
    const { kind, options, content } = acceptance;
    const items = isEssayContent(content) ? content.comparisons : content;
    // The form the store keeps (a large inline batch: each essay text once); an idempotent repeat is recognised by
    // a hash of that form, ~1 MB for 10,000 comparisons instead of the ~12 MB body.
    const stored = storedContent(content);
    const compacted = stored !== content;
    // The JSON each stored comparison is written as, made once: the create stores it, the hash reads it.
    const itemJson = isEssayContent(stored) ? stored.comparisons.map((c) => JSON.stringify(c)) : undefined;
    const callbackTopic = await this.callbackTopics.resolve(acceptance.principal, options.callback_topic);
    const priority = options.priority ?? PRIORITY.default;
    // The provider's availability and the tenant's comparisons-in-flight allowance are read in one Redis round trip
    // (issued together, ioredis sends them as one pipeline), or were already read with the early admission. The
    // allowance is taken before storing and given back unless a new batch holds it, or when the provider refuses
    // the request.
    const { early } = acceptance;
    const [selected, acquired] = await Promise.allSettled([
      this.providers.select(options.llm_config_overrides, undefined, early?.circuit),
      this.limiter.acquire(acceptance.principal, batchId, items.length, early?.reservation),
    ]);
    if (selected.status === 'rejected') {
      if (acquired.status === 'fulfilled') await this.limiter.release(acceptance.principal, batchId);
      throw selected.reason;
    }
    if (acquired.status === 'rejected') throw acquired.reason;
    const selection = selected.value;
    const target = { provider: selection.config.provider, model: selection.config.model };
    // An individual request's enqueue (or the confirmation of its lease taken ahead) rides in the create's write
    // where the store can keep their order.
    const { lease } = acceptance;
    const takenAhead = lease?.takenAhead === true;
    const laneStep =
      kind !== 'single'
        ? undefined
        : takenAhead
          ? () =>
              this.queues.lane
                .confirmLease(batchId, { priority, target }, lease!.ms)
                .then((held) => (held ? 'leased' : 'lost'))
          : () => this.queues.enqueueSingle(batchId, priority, { target }, lease?.ms);
    // Read in the create's write too: a request stored running whose provider is paused goes to the workers.
    const paused = takenAhead ? this.direct.pauseCheck(target.provider, target.model) : undefined;
    let outcome: { batch: BatchRecord; created: boolean; sent?: Promise<unknown> };
    try {
      // No leading spread (`{ ...(takenAhead ? { status } : {}), batch_id, … }`): the fields after it would take
      // Node 20's V8 slow path (bench/hot-object-shapes.bench.ts), on every acceptance.
      const record: NewBatchRecord = {
        batch_id: batchId,
        tenant_id: acceptance.principal.tenant_id,
        kind,
        mode: kind === 'batch' && selection.batchApi ? 'batch' : 'individual',
        correlation_id: options.correlation_id ?? CorrelationContext.current() ?? batchId,
        assessment_id: assessmentIdOf(items[0]?.metadata),
        callback_topic: callbackTopic,
        priority,
        config: selection.config,
        comparison_count: items.length,
        // Only a request with a key can be repeated: without one, hashing its body would serve nothing.
        request_hash:
          acceptance.idempotencyKey === null
            ? ''
            : compacted
              ? storedRequestHash(kind, acceptance.options, stored, itemJson)
              : requestHash({ kind, body: acceptance.hashInput }),
        idempotency_key: acceptance.idempotencyKey,
        created_at: new Date().toISOString(),
        ...(acceptance.quote ? { quote: acceptance.quote } : {}),
      };
      if (takenAhead) record.status = 'in_progress';
      const creating = this.repository.create(record, stored, {
        ...(laneStep ? { sendWith: laneStep } : {}),
        ...(itemJson ? { itemJson } : {}),
        // A repeat of an inline batch accepted before its hash was taken over the stored form.
        ...(compacted ? { legacyRequestHash: () => requestHash({ kind, body: acceptance.hashInput }) } : {}),
      });
      acceptance.onStoring?.(this.repository.initialRecord(record));
      outcome = await creating;
    } catch (err) {
      await this.limiter.release(acceptance.principal, batchId);
      if (err instanceof IdempotencyConflictError) {
        // Never names the existing batch: the key is the caller's own, and the answer must not be a way to
        // learn ids.
        throw new ApiError(
          HttpStatus.CONFLICT,
          'CONFLICT',
          'This idempotency key was already used with a different request',
          { field: acceptance.idempotencySource },
        );
      }
      throw err;
    }
    const { batch, created, sent } = outcome;
    if (!created) await this.limiter.release(acceptance.principal, batchId);
    // tenant_id and key_id come from the log context (set by authentication).
    this.logger.log({
      msg: created ? 'accepted' : 'repeat of an accepted request',
      batch_id: batch.batch_id,
      kind,
      comparisons: batch.comparison_count,
      provider: batch.config.provider,
      model: batch.config.model,
    });
    // A repeat of a request whose enqueue was lost (crash between store and enqueue) is enqueued again; the job
    // id is the batch id, so a job that still exists is not duplicated.
    let enqueued: unknown;
    if (sent) enqueued = await sent;
    else if (created && laneStep) enqueued = await laneStep();
    else if (created || batch.status === 'queued') {
      enqueued = await (kind === 'batch'
        ? this.queues.enqueueBatch(batch.batch_id, batch.priority)
        : this.queues.enqueueSingle(batch.batch_id, batch.priority, {
            target: { provider: batch.config.provider, model: batch.config.model },
          }));
    }
    const leased = enqueued === 'leased';
    if ((leased || takenAhead) && !(created && batch.batch_id === batchId)) {
      // Leased for an id that holds no new batch (an idempotent repeat answered with another): nothing to run.
      await this.queues.lane.release(batchId);
      return { batch, leased: false };
    }
    // A lease taken ahead that ran out before the create (a body slower than the lease): the reaper queued the id,
    // and a worker runs the request stored running; this process only waits.
    return { batch, leased, ...(leased && paused ? { paused } : {}) };
  }
}

function checkedIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!CALLER_ID_PATTERN.test(header)) {
    throw ApiError.invalid('Idempotency-Key', `Idempotency-Key ${CALLER_ID_RULE}`);
  }
  return header;
}

/** A plain copy with only the stored fields (the DTO instance may carry class prototypes). */
function toComparisonRequest(item: EssayPairDto & { comparison_id: string }): ComparisonRequest {
  return {
    comparison_id: item.comparison_id,
    user_prompt: item.user_prompt,
    essay_a: item.essay_a,
    essay_b: item.essay_b,
    ...(item.metadata !== undefined ? { metadata: item.metadata } : {}),
  };
}

/** Plain copies of the essay-referencing form: the prompt and each essay once, comparisons by essay id. */
export function toEssayContent(body: EssayBatchRequestDto): EssayBatchContent {
  return {
    user_prompt: body.user_prompt,
    essays: body.essays.map((e) => ({ essay_id: e.essay_id, text: e.text })),
    comparisons: body.comparisons.map((c) => ({
      comparison_id: c.comparison_id,
      essay_a_id: c.essay_a_id,
      essay_b_id: c.essay_b_id,
      ...(c.metadata !== undefined ? { metadata: c.metadata } : {}),
    })),
  };
}

function assessmentIdOf(metadata: Record<string, unknown> | undefined): string | null {
  const id = metadata?.assessment_id;
  return typeof id === 'string' ? id : null;
}

/** A promise with its resolve at hand (Promise.withResolvers is Node 22). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void } {
  let resolve!: (value: T | PromiseLike<T>) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/**
 * The hash of a request whose content is kept compacted (storedContent): its options (the body without its
 * comparisons) and the stored form, canonical JSON (requestHash), marked with REQUEST_HASH_VERSION. Equal exactly
 * when the bodies are the same request: the stored form is a pure, lossless function of the comparisons.
 */
function storedRequestHash(
  kind: BatchKind,
  options: RequestOptionsDto,
  stored: BatchContent,
  itemJson: readonly string[] | undefined,
): string {
  const { comparisons: _comparisons, ...rest } = options as RequestOptionsDto & { comparisons?: unknown };
  void _comparisons;
  // The comparisons' canonical JSON from the JSON they are stored as (the same string when already in key order).
  const content =
    itemJson && isEssayContent(stored)
      ? Object.assign({}, stored, {
          comparisons: new EncodedArray(stored.comparisons.map((c, i) => canonicalItemJson(c, itemJson[i]))),
        })
      : stored;
  return REQUEST_HASH_VERSION + requestHash({ kind, options: rest, content });
}
