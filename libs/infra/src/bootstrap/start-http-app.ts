import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { LogLevel } from '../config/common-env.js';
import { correlationMiddleware } from '../http/correlation.middleware.js';
import { JsonLogger } from '../logging/json-logger.js';

export interface StartHttpAppOptions {
  service: string;
  port: number;
  logLevel: LogLevel;
  shutdownTimeoutMs: number;
  /** Body limits, pipes, docs, microservice connections: whatever the app adds before listening. */
  configure?: (app: NestExpressApplication, logger: JsonLogger) => void | Promise<void>;
  host?: string;
}

/**
 * Creates a Nest HTTP app with JSON logs, correlation ids and graceful shutdown (SIGTERM/SIGINT close the app;
 * a shutdown that hangs past the timeout exits anyway so an orchestrator is never stuck).
 */
export async function startHttpApp(
  module: unknown,
  options: StartHttpAppOptions,
): Promise<NestExpressApplication> {
  const logger = new JsonLogger(options.service, options.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(module as never, {
    logger,
    bodyParser: false,
  });
  app.use(correlationMiddleware);
  app.enableShutdownHooks();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log({ msg: 'shutting down', signal });
      setTimeout(() => {
        logger.error({ msg: 'shutdown timed out; exiting', timeout_ms: options.shutdownTimeoutMs });
        process.exit(1);
      }, options.shutdownTimeoutMs).unref();
    });
  }
  await options.configure?.(app, logger);
  await app.listen(options.port, options.host ?? '127.0.0.1');
  logger.log({ msg: 'listening', port: options.port });
  return app;
}
