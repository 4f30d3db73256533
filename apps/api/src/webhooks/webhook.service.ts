import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchQueues, BatchWakeups } from '#batch-store';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import type { WebhookProvider } from './provider-notification.js';
import { WebhookVerifier, type WebhookCall } from './webhook-verifier.js';

export interface WebhookOutcome {
  /** woken: the batch's poll runs now; duplicate: already handled; ignored: not a batch of ours, or not an end. */
  status: 'woken' | 'duplicate' | 'ignored';
  batch_id?: string;
}

/**
 * Push, then poll: a verified "batch ended" notification wakes that batch's job at once (its delayed poll is
 * promoted; a job that is running finds the wake flag after scheduling its next poll). The worker still asks the
 * provider for the status before collecting, so a notification only ever advances a poll, never decides one.
 */
@Injectable()
export class WebhookService {
  private readonly logger = new Logger('WebhookService');
  private readonly verifier: WebhookVerifier;

  constructor(
    @Inject(BatchWakeups) private readonly wakeups: BatchWakeups,
    @Inject(BatchQueues) private readonly queues: BatchQueues,
    @Inject(API_SETTINGS) settings: ApiSettings,
  ) {
    this.verifier = new WebhookVerifier(settings.webhooks);
  }

  async receive(provider: WebhookProvider, call: WebhookCall): Promise<WebhookOutcome> {
    const note = await this.verifier.verify(provider, call);
    if (!note.terminal) return { status: 'ignored' };
    const batchId =
      note.batchId ??
      (note.providerBatchId ? await this.wakeups.findBatch(provider, note.providerBatchId) : null);
    if (!batchId) return { status: 'ignored' };
    if (!(await this.wakeups.firstDelivery(provider, note.deliveryId))) {
      return { status: 'duplicate', batch_id: batchId };
    }
    if (!(await this.wakeups.requestWake(batchId))) return { status: 'ignored' };
    const promoted = await this.queues.promoteBatch(batchId);
    this.logger.log({
      msg: 'provider notification',
      provider,
      type: note.type,
      batch_id: batchId,
      provider_batch_id: note.providerBatchId,
      promoted,
    });
    return { status: 'woken', batch_id: batchId };
  }
}
