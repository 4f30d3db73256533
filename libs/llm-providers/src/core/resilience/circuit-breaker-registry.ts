import CircuitBreaker from 'opossum';
import type { ErrorCode, ProviderName } from '#contracts';
import type { BreakerSettings } from '../provider-config.js';
import { ProviderError } from '../provider-error.js';

export type CircuitState = 'closed' | 'open' | 'half_open';
export type CircuitStateListener = (provider: ProviderName, state: CircuitState) => void;

/** Failures that say the provider itself is unhealthy. A rejected request (400, auth, bad answer) does not. */
const UNHEALTHY_CODES = new Set<ErrorCode>([
  'TIMEOUT',
  'CONNECTION_ERROR',
  'EXTERNAL_SERVICE_ERROR',
  'RATE_LIMIT',
]);

type Action = () => Promise<unknown>;

interface Circuit {
  breaker: CircuitBreaker<[Action], unknown>;
  consecutiveFailures: number;
  /** Successes still needed after the trial call before the provider counts as healthy again. */
  probation: number;
  openedAt: number;
  reported: CircuitState;
}

/**
 * One opossum breaker per provider. Opossum provides fail-fast while open, the reset timer and the single trial
 * call when half-open; this registry adds the platform's rules on top: open after N *consecutive* unhealthy
 * failures (opossum itself only knows error percentages), and stay `half_open` until M consecutive successes
 * (opossum closes after one). A failure during that probation reopens at once.
 */
export class CircuitBreakerRegistry {
  private readonly circuits = new Map<ProviderName, Circuit>();
  private readonly listeners = new Set<CircuitStateListener>();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Runs `fn` through the provider's breaker; rejects with CIRCUIT_OPEN without calling it while open. */
  async fire<T>(provider: ProviderName, fn: () => Promise<T>): Promise<T> {
    const circuit = this.circuitOf(provider);
    try {
      return (await circuit.breaker.fire(fn)) as T;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
        const retryAfterMs = Math.max(0, circuit.openedAt + this.settings.resetTimeoutMs - this.clock());
        throw new ProviderError('CIRCUIT_OPEN', `${provider}: circuit open, failing fast`, {
          provider,
          retryAfterMs,
        });
      }
      throw err;
    }
  }

  state(provider: ProviderName): CircuitState {
    return this.circuits.get(provider)?.reported ?? 'closed';
  }

  /** Every provider that has a breaker so far, with its state (for health and metrics). */
  states(): Partial<Record<ProviderName, CircuitState>> {
    return Object.fromEntries([...this.circuits].map(([name, circuit]) => [name, circuit.reported]));
  }

  /** Returns the unsubscribe function. */
  onStateChange(listener: CircuitStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the breakers' timers (module shutdown). */
  shutdown(): void {
    for (const circuit of this.circuits.values()) circuit.breaker.shutdown();
    this.circuits.clear();
  }

  private circuitOf(provider: ProviderName): Circuit {
    const existing = this.circuits.get(provider);
    if (existing) return existing;
    const breaker = new CircuitBreaker<[Action], unknown>((action: Action) => action(), {
      name: `llm-provider-${provider}`,
      timeout: false, // each SDK/fetch call has its own request timeout
      resetTimeout: this.settings.resetTimeoutMs,
      errorThresholdPercentage: 100, // never trips by percentage: opened explicitly on consecutive failures
      enableSnapshots: false,
      errorFilter: (err: unknown) => !(err instanceof ProviderError && UNHEALTHY_CODES.has(err.code)),
    });
    const circuit: Circuit = {
      breaker,
      consecutiveFailures: 0,
      probation: 0,
      openedAt: 0,
      reported: 'closed',
    };
    this.circuits.set(provider, circuit);
    this.watch(provider, circuit);
    return circuit;
  }

  private watch(provider: ProviderName, circuit: Circuit): void {
    const { breaker } = circuit;
    // Listener order matters: opossum's own 'success' handler (registered in its constructor) closes a half-open
    // breaker before ours runs, so the trial call's success is counted by the 'success' listener below.
    breaker.on('open', () => {
      circuit.openedAt = this.clock();
      circuit.probation = 0;
      this.report(provider, circuit, 'open');
    });
    breaker.on('halfOpen', () => this.report(provider, circuit, 'half_open'));
    breaker.on('close', () => {
      circuit.consecutiveFailures = 0;
      circuit.probation = circuit.reported === 'half_open' ? this.settings.successesToClose : 0;
    });
    breaker.on('success', () => {
      circuit.consecutiveFailures = 0;
      if (circuit.probation > 0) circuit.probation -= 1;
      if (breaker.closed && circuit.probation === 0) this.report(provider, circuit, 'closed');
    });
    breaker.on('failure', () => {
      circuit.consecutiveFailures += 1;
      const onProbation = circuit.probation > 0;
      if (breaker.closed && (onProbation || circuit.consecutiveFailures >= this.settings.failuresToOpen)) {
        breaker.open();
      }
    });
  }

  private report(provider: ProviderName, circuit: Circuit, state: CircuitState): void {
    if (circuit.reported === state) return;
    circuit.reported = state;
    for (const listener of this.listeners) listener(provider, state);
  }
}
