import 'reflect-metadata';
import { exitOnInvalidConfig, loadConfigOrExit, startHttpApp } from '#infra';
import { loadProvidersConfig } from '#llm-providers';
import { ApiModule } from './api.module.js';
import { configureApiApp } from './bootstrap/configure-api-app.js';
import { ApiEnv } from './config/api-env.js';

const env = loadConfigOrExit(ApiEnv, 'api');
const providers = exitOnInvalidConfig('api', () => loadProvidersConfig(process.env));
await startHttpApp(ApiModule.forRoot(env, { providers }), {
  service: 'api',
  port: env.API_PORT,
  host: env.HTTP_HOST,
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  configure: (app) => configureApiApp(app, { bodyLimit: env.API_BODY_LIMIT }),
});
