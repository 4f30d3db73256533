import { loadConfig } from '../config/load-config.js';
import { ConfigValidationError } from '../config/config-validation.error.js';

/** Any configuration error: infra's ConfigValidationError, or a lib's error with the same code and a `variable`. */
interface ConfigErrorLike {
  code: 'CONFIG_INVALID';
  message: string;
  problems?: Array<{ variable: string; reason: string }>;
  variable?: string;
}

function isConfigError(err: unknown): err is ConfigErrorLike {
  return err instanceof Error && (err as { code?: unknown }).code === 'CONFIG_INVALID';
}

/**
 * Start-up guard: runs a configuration loader; a bad or missing variable stops the app with one structured line
 * naming it, exit code 1.
 */
export function exitOnInvalidConfig<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!isConfigError(err)) throw err;
    const problems = err.problems ?? [{ variable: err.variable ?? 'unknown', reason: err.message }];
    process.stderr.write(
      JSON.stringify({
        ts: new Date().toISOString(),
        level: 'error',
        service,
        msg: err instanceof ConfigValidationError ? err.message : `Invalid configuration: ${err.message}`,
        code: err.code,
        problems,
      }) + '\n',
    );
    process.exit(1);
  }
}

/** Validates the app's environment schema at start-up (see exitOnInvalidConfig). */
export function loadConfigOrExit<T extends object>(schema: new () => T, service: string): T {
  return exitOnInvalidConfig(service, () => loadConfig(schema, process.env));
}
