/** A provider's verified "batch ended" notification, reduced to what wakes the batch. */
export interface ProviderNotification {
  /** Unique per delivery (dedupe of at-least-once deliveries and replays). */
  deliveryId: string;
  /** The event type as the provider names it. */
  type: string;
  /** Our batch id when the URL carried it (per-batch webhooks), else null. */
  batchId: string | null;
  /** The provider's batch id when the payload names one (looked up in the index). */
  providerBatchId: string | null;
  /** Whether the event says the batch ended (completed, failed, expired, cancelled). */
  terminal: boolean;
}

export const WEBHOOK_PROVIDERS = ['openai', 'google', 'openrouter'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];
