import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AssessmentRepository } from '#assessment-store';
import { AssessmentFinalizer } from '../assessment/assessment-finalizer.service.js';
import { currentAttempt } from '../assessment/assessment-state.js';
import { BatchStepRunner } from '../assessment/batch-step-runner.service.js';
import { BatchSubmitter } from '../assessment/batch-submitter.service.js';
import { ResultCollector } from '../assessment/result-collector.service.js';
import { CJ_SETTINGS, STEP_HAND_OFF } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { StepHandOff } from './step-hand-off.js';
import { PeriodicSweep } from '../common/periodic-sweep.js';

const PAGE = 500;

export type ResumedStep = 'submission' | 'next_step' | 'outcome';

/**
 * At start and every CJ_RESUME_INTERVAL_MS: every unfinished assessment whose next step is due but not running
 * here gets it again, so a crash (or a step that gave up on an error) never leaves one waiting for its deadline:
 * - newest batch attempt still 'submitting' (main, retry or follow-up; the process died before the api accepted
 *   it, or the api stayed away) → submitted again; its correlation id makes the api return the same batch if the
 *   first call did land;
 * - newest batch reported → the next step (retry, follow-up, score or fail) is decided and run;
 * - outcome stored but not published → published.
 * Safe with several replicas: every step is idempotent (correlation ids, compare-and-set on the record).
 */
@Injectable()
export class AssessmentResumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AssessmentResumer.name);
  private readonly periodic = new PeriodicSweep('resume', this.logger, () => this.sweep());

  constructor(
    private readonly repository: AssessmentRepository,
    private readonly submitter: BatchSubmitter,
    private readonly steps: BatchStepRunner,
    private readonly collector: ResultCollector,
    private readonly finalizer: AssessmentFinalizer,
    @Inject(STEP_HAND_OFF) private readonly handOff: StepHandOff,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.settings.resumeIntervalMs, { runNow: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
    await this.handOff.idle();
  }

  /** One pass over the unfinished assessments; returns what was resumed. */
  async sweep(): Promise<Array<{ assessment_id: string; step: ResumedStep }>> {
    const resumed: Array<{ assessment_id: string; step: ResumedStep }> = [];
    for (let offset = 0; ; offset += PAGE) {
      const ids = await this.repository.unfinished(offset, PAGE);
      for (const id of ids) {
        const step = await this.resume(id);
        if (step) resumed.push({ assessment_id: id, step });
      }
      if (ids.length < PAGE) break;
    }
    if (resumed.length > 0)
      this.logger.warn({ msg: 'assessment steps resumed', count: resumed.length, resumed });
    return resumed;
  }

  private async resume(id: string): Promise<ResumedStep | null> {
    if (this.handOff.busy(id)) return null;
    const record = await this.repository.get(id);
    if (!record) return null;
    if (record.status === 'finalizing') {
      await this.handOff.run(id, () => this.finalizer.resume(record));
      return 'outcome';
    }
    if (record.status !== 'active') return null;
    const attempt = currentAttempt(record);
    if (attempt.status === 'submitting') {
      await this.handOff.run(id, async () => {
        const successes = await this.collector.successes(record);
        await this.steps.submitOrFail(id, () => this.submitter.submitPending(record), successes.size);
      });
      return 'submission';
    }
    // Reported with every result stored: the next step was due and would have moved the record on already.
    if (
      attempt.reported_count !== null &&
      (await this.repository.countResults(id, attempt.correlation_id)) >= attempt.reported_count
    ) {
      await this.handOff.run(id, () => this.collector.advance(id));
      return 'next_step';
    }
    return null;
  }
}
