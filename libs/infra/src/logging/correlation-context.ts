import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Who made the request being handled: a tenant and a key id (a digest prefix, never the key itself). */
export interface CallerIdentity {
  tenant_id: string;
  key_id: string;
}

interface CorrelationStore {
  correlationId: string;
  caller?: CallerIdentity;
}

const storage = new AsyncLocalStorage<CorrelationStore>();

/** Carries the correlation id of the request/job/message being handled through async calls, for every log line. */
export const CorrelationContext = {
  run<T>(correlationId: string | undefined, fn: () => T): T {
    return storage.run({ correlationId: correlationId || randomUUID() }, fn);
  },
  current(): string | undefined {
    return storage.getStore()?.correlationId;
  },
  /** Marks the current context as acting for `caller` (authentication sets it; every later log line carries it). */
  setCaller(caller: CallerIdentity): void {
    const store = storage.getStore();
    if (store) store.caller = caller;
  },
  caller(): CallerIdentity | undefined {
    return storage.getStore()?.caller;
  },
};
