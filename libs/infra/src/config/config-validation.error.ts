/** Thrown at start-up when an environment variable is missing or invalid; the message names every bad variable. */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly retryable = false;

  constructor(readonly problems: Array<{ variable: string; reason: string }>) {
    super('Invalid configuration: ' + problems.map((p) => `${p.variable}: ${p.reason}`).join('; '));
    this.name = 'ConfigValidationError';
  }
}
