import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BatchQueues, BatchRepository, isTerminal } from '#batch-store';

/**
 * At start, re-enqueues every batch that is not terminal. Job ids are batch ids, so a batch whose job still
 * exists is untouched; one whose enqueue was lost (API crashed after storing it) gets its job back.
 */
@Injectable()
export class ActiveBatchReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ActiveBatchReconciler.name);

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(BatchQueues) private readonly queues: BatchQueues,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let count = 0;
    for (const batchId of await this.repo.listActive()) {
      const record = await this.repo.get(batchId);
      if (!record || isTerminal(record.status)) continue;
      if (record.kind === 'single') await this.queues.enqueueSingle(batchId, record.priority);
      else await this.queues.enqueueBatch(batchId, record.priority);
      count += 1;
    }
    if (count > 0) this.logger.log({ msg: 'active batches re-enqueued', count });
  }
}
