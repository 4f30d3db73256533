import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  BatchRepository,
  IndividualLane,
  ProviderPauseStore,
  recordFinishedMetric,
  recordResultMetrics,
  resultEvent,
  type BatchRecord,
  type StoredComparison,
  type VersionedRecord,
  judgeOne,
  type OneJudgement,
} from '#batch-store';
import { PRIORITY, type ProviderName } from '#contracts';
import { AppMetrics } from '#infra';
import {
  ProviderCallCounter,
  ProviderRegistry,
  toOverrides,
  withSendGate,
  type LlmProvider,
} from '#llm-providers';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import type { FinishedBatch } from './batch-waiter.js';

/** Longest wait at shutdown for runs under way; a run still going then is left to its lease. */
const SHUTDOWN_WAIT_MS = 10_000;

/**
 * What the acceptance of a request whose run started ahead (runAhead) decided: run it (`go`, the record as stored),
 * hand it to the workers (`handBack`: stored running, but its provider is paused), or leave it (not stored as this
 * run's, or its lease is no longer this process's).
 */
export type RunDecision =
  { go: true; versioned: VersionedRecord } | { go: false; handBack?: VersionedRecord };

/** A slot held for one request between its acceptance and its run (given back when the lane did not lease it). */
export interface DirectSlot {
  release(): void;
}

/**
 * Runs an individual request in the API process that accepted it, when a caller waits for it (`Prefer: wait`) and
 * nothing is queued: the lane leases the id to this process, with the admission before the body is read
 * (SingleAdmission: the request is then stored already running, its pause read with the create) or with the
 * enqueue (IndividualLane.enqueueOrLease: the run takes it from queued first). No queued request is overtaken and no
 * worker is woken. The run is a worker's run of one comparison: call the provider, store the result and end the
 * batch in one script with the lease's release, and answer from what was written.
 *
 * Whatever is not that plain path goes to the workers as a queued job: a paused or rate-limited provider, a
 * requested cancel, a record changed meanwhile. The lease is renewed while the run lasts; if this process dies, it
 * runs out and a worker runs the request (the reaper), as for a worker that died.
 */
@Injectable()
export class DirectRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DirectRunner.name);
  private readonly running = new Map<string, Promise<unknown>>();
  private reserved = 0;
  private renewal?: NodeJS.Timeout;

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(IndividualLane) private readonly lane: IndividualLane,
    @Inject(ProviderPauseStore) private readonly pauses: ProviderPauseStore,
    @Inject(ProviderRegistry) private readonly registry: ProviderRegistry,
    @Inject(ProviderCallCounter) private readonly calls: ProviderCallCounter,
    @Inject(AppMetrics) private readonly metrics: AppMetrics,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.directRunConcurrency === 0) return;
    // Provider calls made here count in this app's llm_provider_http_calls_total, as the workers' do in theirs.
    this.calls.onCall((event) => this.metrics.recordProviderCall(event));
    const every = Math.max(100, Math.floor(this.settings.directRunLeaseMs / 3));
    this.renewal = setInterval(() => void this.renew(), every);
    this.renewal.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    const runs = Promise.allSettled([...this.running.values()]);
    await Promise.race([runs, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
    clearInterval(this.renewal);
  }

  /** The provider/model's pause (ms left, 0 when none), read now: issue it with the write it must travel in. */
  pauseCheck(provider: ProviderName, model: string): Promise<number> {
    const paused = this.pauses.remainingMs(provider, model);
    paused.catch(() => undefined);
    return paused;
  }

  /** The lease to ask the lane for, with the slot it is held in, or null when every slot is taken. */
  reserve(): { leaseMs: number; slot: DirectSlot } | null {
    if (this.running.size + this.reserved >= this.settings.directRunConcurrency) return null;
    this.reserved += 1;
    let held = true;
    const slot = {
      release: () => {
        if (held) this.reserved -= 1;
        held = false;
      },
    };
    return { leaseMs: this.settings.directRunLeaseMs, slot };
  }

  /**
   * Before an individual request's body is read: a slot and, when nothing is queued, the lease on `batchId` (not
   * stored yet), so the acceptance can store the request running. Null when no slot is free or something is queued.
   * Issue it with the admission's other commands: it travels in their write.
   */
  async leaseAhead(batchId: string): Promise<{ leaseMs: number; slot: DirectSlot } | null> {
    const direct = this.reserve();
    if (!direct) return null;
    const leased = await this.lane
      .leaseIfIdle(batchId, { priority: PRIORITY.default }, direct.leaseMs)
      .catch(() => false);
    if (leased) return direct;
    direct.slot.release();
    return null;
  }

  /** Ends a lease taken ahead that no run took over (a refused or aborted request), with its slot. */
  giveBack(batchId: string, slot: DirectSlot): void {
    slot.release();
    this.lane
      .release(batchId)
      .catch((err: Error) =>
        this.logger.warn({ msg: 'direct-run lease not given back', batch_id: batchId, error: err.message }),
      );
  }

  /**
   * Runs the request just created as `record` (queued) and leased to this process by its enqueue, in `slot`: the
   * run takes it from queued first. The finished batch with its result, or null when the request went to the
   * workers (or the run failed: its lease then runs out). A request stored already running (its lease taken before
   * its body was read) is run by `runAhead` instead.
   */
  run(slot: DirectSlot, record: BatchRecord, request: StoredComparison): Promise<FinishedBatch | null> {
    return this.track(record.batch_id, slot, this.runQueued(record, request));
  }

  /**
   * Starts the run of `record` while its acceptance is still storing it (its lease taken ahead): the provider call
   * is prepared at once and sent once `decision` says go (a provider whose requests honour a send gate), or
   * started then (any other). Nothing is written before the decision; a decision not to run ends it (handing the
   * request to the workers when the decision says so).
   */
  runAhead(
    slot: DirectSlot,
    record: BatchRecord,
    request: StoredComparison,
    decision: Promise<RunDecision>,
  ): Promise<FinishedBatch | null> {
    return this.track(record.batch_id, slot, this.runDecided(record, request, decision));
  }

  private track(
    id: string,
    slot: DirectSlot,
    work: Promise<FinishedBatch | null>,
  ): Promise<FinishedBatch | null> {
    const run = work.catch((err: unknown) => {
      // Redis failed mid-run: the lease is kept and runs out, then a worker runs the request.
      this.logger.warn({
        msg: 'direct run failed; a worker runs the request when its lease runs out',
        batch_id: id,
        error: (err as Error).message,
      });
      return null;
    });
    slot.release();
    this.running.set(id, run);
    void run.finally(() => this.running.delete(id));
    return run;
  }

  private async runDecided(
    created: BatchRecord,
    request: StoredComparison,
    decision: Promise<RunDecision>,
  ): Promise<FinishedBatch | null> {
    const startedAt = new Date().toISOString();
    const provider = this.providerOf(created);
    const judge = (to: LlmProvider) => judgeOne(to, created, request, toOverrides(created.config));
    // Prepared now, sent once the acceptance has stored the request and kept its lease (and its provider is not
    // paused); with a provider that cannot hold its request, called only then.
    const judging = provider?.gatesSends
      ? withSendGate(
          decision.then((decided) => decided.go),
          () => judge(provider),
        )
      : undefined;
    judging?.catch(() => undefined);
    const decided = await decision;
    if (!decided.go) return decided.handBack ? this.handBack(created.batch_id, decided.handBack) : null;
    if (!provider) return this.handBack(created.batch_id, decided.versioned);
    const judged = await (judging ?? judge(provider));
    return this.finish(decided.versioned, request, judged, startedAt);
  }

  private async runQueued(created: BatchRecord, request: StoredComparison): Promise<FinishedBatch | null> {
    const id = created.batch_id;
    const startedAt = new Date().toISOString();
    // One write: the pause check and the take.
    const paused = this.pauseCheck(created.config.provider, created.config.model);
    const { versioned, took } = await this.repo.takeQueued(id, startedAt);
    if (!versioned || !took) {
      // Gone, or moved on by a cancel: nothing to run here; the waiter reads what it became.
      await this.lane.release(id);
      return null;
    }
    const record = versioned.record;
    const provider = this.providerOf(record);
    if (!provider || (await paused) > 0 || record.cancel_requested) return this.handBack(id, versioned);
    const judged = await judgeOne(provider, record, request, toOverrides(record.config));
    return this.finish(versioned, request, judged, startedAt);
  }

  private providerOf(record: BatchRecord): LlmProvider | undefined {
    try {
      return this.registry.get(record.config.provider);
    } catch {
      return undefined;
    }
  }

  /** Stores the judged comparison and ends the batch with it (and the lease), or hands the request on. */
  private async finish(
    versioned: VersionedRecord,
    request: StoredComparison,
    judged: OneJudgement,
    startedAt: string,
  ): Promise<FinishedBatch | null> {
    const record = versioned.record;
    const id = record.batch_id;
    const { provider: providerName, model } = record.config;
    // A pausing answer (429, open circuit) goes to the workers: they own pauses.
    if (judged.kind === 'pause') return this.handBack(id, versioned);
    const { stored } = judged;
    const now = new Date();
    const status = stored.result.error_detail ? 'failed' : 'completed';
    const finishing = this.repo.finishWithResult(
      versioned,
      stored,
      resultEvent(record, stored, now),
      status,
      { completed_at: now.toISOString(), submitted_at: versioned.record.submitted_at ?? startedAt },
      (after) =>
        after.catch((err: Error) =>
          this.logger.warn({ msg: 'follow-up writes of a finish failed', batch_id: id, error: err.message }),
        ),
    );
    // Sent in the same write as the finish: the lease ends with it.
    const released = this.lane.release(id);
    const done = await finishing;
    await released;
    if (!done) {
      // Someone wrote since the take (a cancel): a worker finishes it from what is stored.
      await this.lane.enqueue(id, { priority: record.priority, target: { provider: providerName, model } });
      return null;
    }
    // After the answer is on its way: the waiting caller does not wait for the bookkeeping.
    setImmediate(() => {
      recordResultMetrics(this.metrics, done, [stored]);
      recordFinishedMetric(this.metrics, done);
      this.logger.log({
        msg: 'batch finished',
        batch_id: id,
        status: done.status,
        provider: done.config.provider,
        model: done.config.model,
        run_by: 'api',
      });
    });
    return { record: done, results: [stored] };
  }

  /** Gives the request to the workers: back to queued, and its lease back to the lane's queue. */
  private async handBack(id: string, versioned: VersionedRecord): Promise<null> {
    await this.repo.untake(versioned);
    await this.lane.requeue(id);
    return null;
  }

  private async renew(): Promise<void> {
    if (this.running.size === 0) return;
    try {
      await this.lane.renew([...this.running.keys()], this.settings.directRunLeaseMs);
    } catch (err) {
      this.logger.warn({ msg: 'direct runs: lease renewal failed', error: (err as Error).message });
    }
  }
}
