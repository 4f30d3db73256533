import 'reflect-metadata';
import { loadConfigOrExit, startHttpApp } from '#infra';
import { WorkerEnv } from './config/worker-env.js';
import { WorkerModule } from './worker.module.js';

const env = loadConfigOrExit(WorkerEnv, 'batch-worker');
await startHttpApp(WorkerModule.forRoot(env), {
  service: 'batch-worker',
  port: env.WORKER_PORT,
  host: env.HTTP_HOST,
  logLevel: env.LOG_LEVEL,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
});
