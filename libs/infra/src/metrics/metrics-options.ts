export const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');

export interface MetricsModuleOptions {
  /** Added to every series as the `service` label (api, batch-worker, cj-integration). */
  service: string;
  /** Node process metrics (heap, event loop lag, GC, ...). On unless turned off, e.g. in short-lived tests. */
  defaultMetrics?: boolean;
}
