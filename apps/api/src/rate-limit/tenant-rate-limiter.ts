import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { BatchRepository, isTerminal } from '#batch-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { TenantMetrics } from '../auth/tenant-metrics.js';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { InflightReservation } from './inflight-reservation.js';
import { limitsFor } from './tenant-limits.js';

/** How long a caller refused for comparisons in flight is told to wait (batches take minutes to hours). */
const IN_FLIGHT_RETRY_AFTER_SECONDS = 30;

/**
 * Per-tenant limits, shared by every replica through Redis: requests per second (checked before the body is
 * read) and comparisons in flight (taken when a batch is accepted, given back when it reaches a terminal status).
 * Both answer 429 RATE_LIMIT with Retry-After.
 */
@Injectable()
export class TenantRateLimiter {
  private readonly logger = new Logger(TenantRateLimiter.name);

  constructor(
    private readonly repository: BatchRepository,
    private readonly metrics: TenantMetrics,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async checkRequest(principal: ApiPrincipal): Promise<void> {
    const limit = limitsFor(this.settings.rateLimits, principal.tenant_id).requestsPerSecond;
    const count = await this.repository.tenantLoad.hit(principal.tenant_id, Date.now());
    if (count > limit) this.refuseRate(principal.tenant_id, limit);
  }

  /**
   * checkRequest, and when it passes, `comparisons` of the in-flight allowance reserved for `batchId` in the same
   * Redis round trip (for a request whose size is known before its body is read). No reservation when the
   * allowance is short: `acquire` then decides, after the body was validated, as for any request.
   */
  async checkRequestAndReserve(
    principal: ApiPrincipal,
    batchId: string,
    comparisons: number,
  ): Promise<InflightReservation | undefined> {
    const limits = limitsFor(this.settings.rateLimits, principal.tenant_id);
    const outcome = await this.repository.tenantLoad.hitAndAcquire(
      principal.tenant_id,
      Date.now(),
      limits.requestsPerSecond,
      { batchId, comparisons, limit: limits.comparisonsInFlight },
    );
    if (outcome.requests > limits.requestsPerSecond)
      this.refuseRate(principal.tenant_id, limits.requestsPerSecond);
    if (!outcome.acquired) return undefined;
    return new InflightReservation(batchId, comparisons, () => this.release(principal, batchId));
  }

  /**
   * Takes `comparisons` of the tenant's in-flight allowance for `batchId`, or throws 429. A matching `reserved`
   * allowance (checkRequestAndReserve) is taken over without asking Redis again.
   */
  async acquire(
    principal: ApiPrincipal,
    batchId: string,
    comparisons: number,
    reserved?: InflightReservation,
  ): Promise<void> {
    if (reserved?.take(batchId, comparisons)) return;
    const tenant = principal.tenant_id;
    const limit = limitsFor(this.settings.rateLimits, tenant).comparisonsInFlight;
    const load = this.repository.tenantLoad;
    let outcome = await load.acquire(tenant, batchId, comparisons, limit);
    if (!outcome.ok && (await this.reconcile(tenant)) > 0) {
      outcome = await load.acquire(tenant, batchId, comparisons, limit);
    }
    if (outcome.ok) return;
    this.metrics.rateLimited.inc({ tenant, limit: 'comparisons_in_flight' });
    throw new ApiError(
      HttpStatus.TOO_MANY_REQUESTS,
      'RATE_LIMIT',
      `This request would put ${outcome.total + comparisons} comparisons in flight; the limit is ${limit}`,
      {
        details: { limit: 'comparisons_in_flight', max: limit, in_flight: outcome.total },
        retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS,
      },
    );
  }

  async release(principal: ApiPrincipal, batchId: string): Promise<void> {
    await this.repository.tenantLoad.release(principal.tenant_id, batchId);
  }

  private refuseRate(tenant: string, limit: number): never {
    this.metrics.rateLimited.inc({ tenant, limit: 'requests_per_second' });
    throw new ApiError(HttpStatus.TOO_MANY_REQUESTS, 'RATE_LIMIT', `More than ${limit} requests per second`, {
      details: { limit: 'requests_per_second', max: limit },
      retryAfterSeconds: 1,
    });
  }

  /** Gives back load held by batches that are terminal or gone (a release lost to a crash); returns how many. */
  private async reconcile(tenant: string): Promise<number> {
    let released = 0;
    for (const batchId of await this.repository.tenantLoad.holders(tenant)) {
      const record = await this.repository.get(batchId);
      if (!record || isTerminal(record.status)) {
        released += await this.repository.tenantLoad.release(tenant, batchId);
      }
    }
    if (released > 0)
      this.logger.warn({ msg: 'released stale in-flight load', tenant, comparisons: released });
    return released;
  }
}
