export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

export interface HealthOptions {
  kafkaBrokers: string[];
  /** Per-check timeout: a check slower than this is reported down. */
  timeoutMs: number;
  /** How long a Kafka probe result is reused, so frequent probes do not open a connection each time. */
  cacheMs: number;
}
