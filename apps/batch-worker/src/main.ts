import 'reflect-metadata';
import { exitOnInvalidConfig, loadConfigOrExit, startHttpApp } from '#infra';
import { loadProvidersConfig } from '#llm-providers';
import { WorkerEnv } from './config/worker-env.js';
import { WorkerModule } from './worker.module.js';

const env = loadConfigOrExit(WorkerEnv, 'batch-worker');
const providers = exitOnInvalidConfig('batch-worker', () => loadProvidersConfig(process.env));
await startHttpApp(WorkerModule.forRoot(env, { providers }), {
  service: 'batch-worker',
  port: env.WORKER_PORT,
  host: env.HTTP_HOST,
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
});
