import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CJ_SETTINGS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { AssessmentFinalizer } from '../assessment/assessment-finalizer.service.js';
import { AssessmentRepository } from '#assessment-store';
import { AssessmentStopper } from '../assessment/assessment-stopper.service.js';
import { PeriodicSweep } from '../common/periodic-sweep.js';

/**
 * Bounds every assessment by CJ_ASSESSMENT_DEADLINE_MS: overdue assessments fail with DEADLINE_EXCEEDED and
 * their running batch is cancelled (best effort). The deadline index lives in Redis, so a restart keeps it.
 */
@Injectable()
export class DeadlineWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeadlineWatcher.name);
  private readonly periodic = new PeriodicSweep('deadline', this.logger, () => this.sweep(Date.now()));

  constructor(
    private readonly repository: AssessmentRepository,
    private readonly finalizer: AssessmentFinalizer,
    private readonly stopper: AssessmentStopper,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.settings.deadlineCheckIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** Fails every assessment whose deadline is before `nowMs`; returns their ids. */
  async sweep(nowMs: number): Promise<string[]> {
    const ended: string[] = [];
    for (const id of await this.repository.overdue(nowMs)) {
      const record = await this.repository.get(id);
      if (!record) {
        await this.repository.dropDeadline(id);
        continue;
      }
      if (record.status === 'finalizing') {
        await this.finalizer.resume(record);
        continue;
      }
      if (record.status !== 'active') continue;
      await this.stopper.stop(
        record,
        'DEADLINE_EXCEEDED',
        `the assessment did not finish within ${this.settings.deadlineMs} ms`,
      );
      ended.push(id);
    }
    return ended;
  }
}
