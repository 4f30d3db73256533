import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppMetrics } from '#infra';

/**
 * Per-tenant series on the api's registry: who sends what and who is refused. Labels are the tenant and the key
 * id (a digest prefix), never the key; both sets are bounded by API_KEYS.
 */
@Injectable()
export class TenantMetrics {
  readonly requests: Counter<'tenant' | 'key_id' | 'status'>;
  readonly rateLimited: Counter<'tenant' | 'limit'>;

  constructor(metrics: AppMetrics) {
    this.requests = new Counter({
      name: 'api_tenant_requests_total',
      help: 'Authenticated API requests, by tenant, key id and status code',
      labelNames: ['tenant', 'key_id', 'status'],
      registers: [metrics.registry],
    });
    this.rateLimited = new Counter({
      name: 'api_tenant_rate_limited_total',
      help: 'Requests refused with 429, by tenant and limit (requests_per_second or comparisons_in_flight)',
      labelNames: ['tenant', 'limit'],
      registers: [metrics.registry],
    });
  }
}
