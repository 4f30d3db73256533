/**
 * Redis key layout of the batch store. `{id}` hash tags keep one batch's keys in one Redis Cluster slot, so every
 * script of a batch is atomic on a cluster too. The global indexes (live batches, pending outboxes, idempotency
 * claims, provider batch ids) are each updated by single-key commands outside those scripts (README, "Redis
 * Cluster").
 */
export class BatchKeys {
  constructor(readonly prefix: string) {}

  /** Hash: record JSON, status, rev, request_hash, succeeded, failed, cost, icost, cancel. */
  record(batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}`;
  }
  /** List of request JSON in input order. */
  requests(batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}:requests`;
  }
  /** Hash: input index → StoredResult JSON. */
  results(batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}:results`;
  }
  /** Hash: essay_id → text, for a batch in the essay-referencing form (each essay stored once). */
  essays(batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}:essays`;
  }
  /** Essays written before the record exists; renamed into place by the create script. */
  essaysStaging(batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}:essays-staging`;
  }
  /** Requests written before the record exists; renamed into place by the create script. */
  staging(batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}:staging`;
  }
  /** List of OutboxMessage JSON waiting for Kafka, in publish order. */
  outbox(batchId: string): string {
    return `${this.prefix}:outbox:{${batchId}}`;
  }
  /** String: the fencing token of the worker draining this batch's outbox (expires unless renewed). */
  outboxLock(batchId: string): string {
    return `${this.prefix}:outbox:{${batchId}}:lock`;
  }
  /** List of DeadLetterRecord JSON: events that can never be delivered, with their reason. */
  deadLetter(batchId: string): string {
    return `${this.prefix}:outbox:{${batchId}}:dead`;
  }
  /**
   * Set of batch ids whose outbox may not be empty (a superset: marked after every append, unmarked only after
   * the outbox was seen empty, then checked again).
   */
  outboxPending(): string {
    return `${this.prefix}:outbox:pending`;
  }
  /**
   * Sorted set: batch id → time (ms) its creation began. Holds every batch from before its record is written until
   * after its terminal transition's follow-ups, so the worker's reconciler can repair any index a crash left
   * behind.
   */
  active(): string {
    return `${this.prefix}:batches:live`;
  }
  /** String: a provider's circuit state as the worker last reported it (expires when no worker refreshes it). */
  circuit(provider: string): string {
    return `${this.prefix}:circuit:${provider}`;
  }
  /** String with an expiry: new work for a provider (model null) or one of its models waits while it exists. */
  pause(provider: string, model: string | null): string {
    return model === null ? `${this.prefix}:pause:${provider}` : `${this.prefix}:pause:${provider}:${model}`;
  }
  /** Hash: part → "tokens:expiresAtMs", the tokens this deployment has in a provider/model's batch queue. */
  enqueuedTokens(provider: string, model: string): string {
    return `${this.prefix}:quota:${provider}:${model}`;
  }
  /**
   * Pub/sub channel on which every terminal transition publishes its batch id (held `Prefer: wait` requests wake
   * on it). Not a key: it is passed to scripts as an argument, so it never crosses a cluster hash slot.
   */
  terminalChannel(): string {
    return `${this.prefix}:batch:terminal`;
  }
  /** String: a provider's batch id → our batch id (webhooks name the provider's). */
  providerBatch(provider: string, providerBatchId: string): string {
    return `${this.prefix}:pbatch:${provider}:${providerBatchId}`;
  }
  /** String: a webhook delivery already handled (dedupe of at-least-once deliveries and replays). */
  webhookDelivery(provider: string, deliveryId: string): string {
    return `${this.prefix}:webhook:${provider}:${deliveryId}`;
  }
  /** String: the idempotency key's claim, the id of the batch it created (written after that batch's record). */
  idempotency(key: string): string {
    return `${this.prefix}:idem:${key}`;
  }
}
