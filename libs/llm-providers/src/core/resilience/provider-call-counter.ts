import type { ErrorCode, ProviderName } from '#contracts';

/** One HTTP call made to a provider (one attempt: a retried request is several calls). */
export interface ProviderCallEvent {
  provider: ProviderName;
  /** Short stable name of the API operation, e.g. `comparison`, `batch.create`, `batch.status`. */
  operation: string;
  outcome: 'success' | 'error';
  error_code?: ErrorCode;
  duration_ms: number;
}

export type ProviderCallListener = (event: ProviderCallEvent) => void;

export interface ProviderCallTally {
  provider: ProviderName;
  operation: string;
  calls: number;
  errors: number;
}

/**
 * In-memory tally of provider calls. Infra's metrics subscribe with `onCall` (the library must not import infra),
 * tests and benchmarks read `count`/`snapshot`.
 */
export class ProviderCallCounter {
  private readonly tallies = new Map<string, ProviderCallTally>();
  private readonly listeners = new Set<ProviderCallListener>();

  record(event: ProviderCallEvent): void {
    const key = `${event.provider}\u0000${event.operation}`;
    const tally = this.tallies.get(key) ?? {
      provider: event.provider,
      operation: event.operation,
      calls: 0,
      errors: 0,
    };
    tally.calls += 1;
    if (event.outcome === 'error') tally.errors += 1;
    this.tallies.set(key, tally);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken metrics listener must never fail a provider call.
      }
    }
  }

  /** Calls so far, optionally narrowed to one provider and/or operation. */
  count(provider?: ProviderName, operation?: string): number {
    let total = 0;
    for (const tally of this.tallies.values()) {
      if (
        (provider === undefined || tally.provider === provider) &&
        (operation === undefined || tally.operation === operation)
      ) {
        total += tally.calls;
      }
    }
    return total;
  }

  snapshot(): ProviderCallTally[] {
    return [...this.tallies.values()].map((tally) => ({ ...tally }));
  }

  /** Returns the unsubscribe function. */
  onCall(listener: ProviderCallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reset(): void {
    this.tallies.clear();
  }
}
