import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AssessmentRepository } from '#assessment-store';
import { AssessmentFinalizer } from '../assessment/assessment-finalizer.service.js';
import { AssessmentStopper } from '../assessment/assessment-stopper.service.js';
import { CJ_SETTINGS } from '../cj.tokens.js';
import type { CjSettings } from '../config/cj-settings.js';
import { PeriodicSweep } from '../common/periodic-sweep.js';

export const CANCELLED_MESSAGE = 'the assessment was cancelled by its owner';

/**
 * Honours cancel requests (the API's POST /assessments/{id}/cancel writes them to the shared assessment store;
 * the API never calls this service): a running assessment's batch is cancelled and the assessment ends as
 * CJAssessmentFailedV1 with reason CANCELLED. Polled like the deadline index, so a restart loses nothing.
 */
@Injectable()
export class CancelWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CancelWatcher.name);
  private readonly periodic = new PeriodicSweep('cancel', this.logger, () => this.sweep(Date.now()));

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

  /** Ends every running assessment with a pending cancel request; returns their ids. */
  async sweep(nowMs: number): Promise<string[]> {
    const ended: string[] = [];
    for (const pending of await this.repository.pendingCancels()) {
      const id = pending.assessment_id;
      const record = await this.repository.get(id);
      if (!record) {
        // The request is still on its way through Kafka: the intake ends it on arrival. One that never arrives
        // is forgotten after the retention period.
        if (nowMs - pending.requested_at_ms > this.settings.retentionSeconds * 1000) {
          await this.repository.dropPendingCancel(id);
        }
        continue;
      }
      if (record.status === 'active') {
        await this.stopper.stop(record, 'CANCELLED', CANCELLED_MESSAGE, {
          cancel_requested_at: new Date(pending.requested_at_ms).toISOString(),
        });
        this.logger.log({ msg: 'assessment cancelled', assessment_id: id });
        ended.push(id);
      } else if (record.status === 'finalizing') {
        await this.finalizer.resume(record);
      }
      await this.repository.dropPendingCancel(id);
    }
    return ended;
  }
}
