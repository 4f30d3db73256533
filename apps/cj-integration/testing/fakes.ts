import type { EventEnvelope } from '#contracts';
import type { PublishableEvent } from '#infra';
import { ComparisonApiError } from '../src/comparison-api/comparison-api.error.js';
import type { BatchAccepted, BatchSubmission } from '../src/comparison-api/comparison-api.types.js';

/** Records submissions; idempotent on correlation_id like the real service; can refuse the next calls. */
export class FakeComparisonApi {
  readonly submissions: Array<BatchSubmission & { batch_id: string }> = [];
  readonly cancelled: string[] = [];
  failNext: Error[] = [];

  async submitBatch(submission: BatchSubmission): Promise<BatchAccepted> {
    const error = this.failNext.shift();
    if (error) throw error;
    const existing = this.submissions.find((s) => s.correlation_id === submission.correlation_id);
    if (existing) return { batch_id: existing.batch_id };
    const batch_id = `batch-${this.submissions.length + 1}`;
    this.submissions.push({ ...structuredClone(submission), batch_id });
    return { batch_id };
  }

  async cancelBatch(batchId: string): Promise<void> {
    this.cancelled.push(batchId);
  }

  static refusal(status = 400): ComparisonApiError {
    return new ComparisonApiError('INVALID_REQUEST', `refused with ${status}`, status);
  }
}

/** Stands in for KafkaEventPublisher: keeps what was published. */
export class FakeKafkaPublisher {
  readonly published: PublishableEvent[] = [];

  async publish(event: PublishableEvent): Promise<void> {
    this.published.push(structuredClone(event));
  }

  envelopes(): EventEnvelope[] {
    return this.published.map((p) => p.envelope);
  }
}
