import 'reflect-metadata';
import { loadConfigOrExit, startHttpApp } from '#infra';
import { ApiModule } from './api.module.js';
import { configureApiApp } from './bootstrap/configure-api-app.js';
import { ApiEnv } from './config/api-env.js';

const env = loadConfigOrExit(ApiEnv, 'api');
await startHttpApp(ApiModule.forRoot(env), {
  service: 'api',
  port: env.API_PORT,
  host: env.HTTP_HOST,
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  configure: (app) => configureApiApp(app, { bodyLimit: env.API_BODY_LIMIT }),
});
