import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A gate on the provider requests of one call: the call starts at once (the SDK builds its request, headers and
 * body, about a third of a millisecond of CPU) while something it depends on is still being decided elsewhere —
 * the API's direct run stores the request it is about to run in the same moment — and the request leaves only
 * once the gate opens. A gate that stays shut refuses the request unsent (RequestNotSentError), which the
 * resilient caller passes on as CANCELED: not retried, not counted as a call, no mark against the provider.
 *
 * Honoured by the transports that say so (`LlmProvider.gatesSends`: the JSON-POST fetch of the OpenAI and
 * Anthropic clients); with any other provider the caller waits for the gate before calling.
 */
const gates = new AsyncLocalStorage<Promise<boolean>>();

/** Runs `call` with its provider requests held until `gate` resolves: true sends them, false refuses them. */
export function withSendGate<T>(gate: Promise<boolean>, call: () => Promise<T>): Promise<T> {
  return gates.run(gate, call);
}

/** The gate of the call under way, if any. */
export function currentSendGate(): Promise<boolean> | undefined {
  return gates.getStore();
}

/** A provider request refused before it was sent: its call's gate stayed shut. */
export class RequestNotSentError extends Error {
  constructor() {
    super('provider request not sent: its call was called off before it left');
    this.name = 'RequestNotSentError';
  }
}

/** Whether `err`, or an error it was caused by (the SDKs wrap what their fetch threw), is a request not sent. */
export function isRequestNotSent(err: unknown): boolean {
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 5; depth += 1) {
    if (at instanceof RequestNotSentError) return true;
    at = (at as { cause?: unknown }).cause;
  }
  return false;
}
