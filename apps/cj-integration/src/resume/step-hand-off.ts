import { Logger } from '@nestjs/common';
import { CorrelationContext } from '#infra';

interface KeyState {
  running: Promise<void>;
  /** Another run was asked for while one was running: run once more afterwards (never more than once). */
  again?: () => Promise<unknown>;
}

/**
 * Runs an assessment's slow steps (HTTP calls to the comparison service that retry for minutes, scoring) apart
 * from the Kafka handler that caused them, so the handler returns after its Redis writes and the consumer keeps
 * heartbeating (a handler held for 30 s+ loses the group session: rebalance, redelivery, duplicate work).
 * Steps of one assessment run one at a time; asks that arrive while one runs collapse into a single re-run.
 * Nothing is lost by running detached: each step's trigger is already stored, and the resumer finds any step a
 * crash interrupted. `inline` (unit tests) runs the step before returning.
 */
export class StepHandOff {
  private readonly logger = new Logger(StepHandOff.name);
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly mode: 'detached' | 'inline') {}

  static inline(): StepHandOff {
    return new StepHandOff('inline');
  }

  async run(key: string, step: () => Promise<unknown>): Promise<void> {
    if (this.mode === 'inline') {
      await step();
      return;
    }
    const current = this.keys.get(key);
    if (current) {
      current.again = step;
      return;
    }
    this.start(key, step, CorrelationContext.current());
  }

  /** Whether a step of `key` is running or waiting here (the resumer leaves such assessments alone). */
  busy(key: string): boolean {
    return this.keys.has(key);
  }

  /** Resolves once no step runs (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.keys.size > 0) await Promise.allSettled([...this.keys.values()].map((s) => s.running));
  }

  private start(key: string, step: () => Promise<unknown>, correlationId: string | undefined): void {
    const state: KeyState = { running: Promise.resolve() };
    const once = async (next: () => Promise<unknown>): Promise<void> => {
      try {
        await (correlationId ? CorrelationContext.run(correlationId, next) : next());
      } catch (err) {
        this.logger.error({
          msg: 'assessment step failed; the resumer will try again',
          assessment_id: key,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    };
    state.running = (async () => {
      let next: (() => Promise<unknown>) | undefined = step;
      while (next) {
        state.again = undefined;
        await once(next);
        next = state.again;
      }
      this.keys.delete(key);
    })();
    this.keys.set(key, state);
  }
}
