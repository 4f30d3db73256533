/** The validated WorkerEnv instance. */
export const WORKER_ENV = Symbol('WORKER_ENV');
