/** A configuration value that cannot be used; names the variable so an operator can fix it without reading code. */
export class ProviderConfigError extends Error {
  // Same code as infra's ConfigValidationError: start-up reports both the same way.
  readonly code = 'CONFIG_INVALID' as const;
  readonly retryable = false;
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ProviderConfigError';
    this.variable = variable;
  }
}
