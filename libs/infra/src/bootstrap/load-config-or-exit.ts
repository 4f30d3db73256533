import { loadConfig } from '../config/load-config.js';
import { ConfigValidationError } from '../config/config-validation.error.js';

/**
 * Start-up guard: a bad or missing variable stops the app with one structured line naming it, exit code 1.
 */
export function loadConfigOrExit<T extends object>(schema: new () => T, service: string): T {
  try {
    return loadConfig(schema, process.env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(
        JSON.stringify({
          ts: new Date().toISOString(),
          level: 'error',
          service,
          msg: err.message,
          code: err.code,
          problems: err.problems,
        }) + '\n',
      );
      process.exit(1);
    }
    throw err;
  }
}
