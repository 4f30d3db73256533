/** A configuration value that cannot be used; names the variable so an operator can fix it without reading code. */
export class ProviderConfigError extends Error {
  readonly code = 'INVALID_CONFIGURATION' as const;
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ProviderConfigError';
    this.variable = variable;
  }
}
