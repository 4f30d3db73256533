import type { Logger } from '@nestjs/common';

/**
 * Runs one sweep every `intervalMs`, never two at once (a slow sweep skips ticks instead of piling up), and logs
 * a failed sweep instead of crashing the process. `stop()` waits for the sweep in progress, so shutdown never cuts
 * a step in half. Shared by cj-integration's watchers (deadline, cancel, resume).
 */
export class PeriodicSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly sweep: () => Promise<unknown>,
  ) {}

  start(intervalMs: number, options: { runNow?: boolean } = {}): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
    if (options.runNow) this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    this.running ??= this.sweep()
      .then(() => undefined)
      .catch((err: unknown) => this.logger.error({ msg: `${this.name} sweep failed`, error: String(err) }))
      .finally(() => (this.running = undefined));
  }
}
