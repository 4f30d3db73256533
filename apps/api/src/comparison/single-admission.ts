import { createParamDecorator, Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_PREFIX, API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { parsePreferWait } from '../http/prefer-wait.js';
import {
  ProviderAvailabilityService,
  type SharedCircuitRead,
} from '../providers/provider-availability.service.js';
import type { InflightReservation } from '../rate-limit/inflight-reservation.js';
import { TenantRateLimiter } from '../rate-limit/tenant-rate-limiter.js';
import { DirectRunner, type DirectSlot } from './direct-runner.js';

const SINGLE_PATH = `/${API_PREFIX}/comparison`;

/** What an individual request's admission did before its body was read, for its acceptance to go on from. */
export interface EarlyAdmission {
  /** The id its batch is stored under (the reservation is held for it). */
  readonly batchId: string;
  /** Its one comparison's in-flight allowance, when there was room. */
  readonly reservation?: InflightReservation;
  /** The providers' shared circuit states. */
  readonly circuit?: SharedCircuitRead;
  /** A lease on `batchId` taken ahead for a caller who waits: the acceptance stores the request running. */
  readonly direct?: EarlyLease;
}

/** A direct-run lease taken before the body was read; given back when the response closes without a take. */
export interface EarlyLease {
  readonly leaseMs: number;
  /** The slot the run holds, for the acceptance that takes the lease over (null once given back). */
  take(): DirectSlot | null;
}

interface AdmittedRequest extends Request {
  earlyAdmission?: EarlyAdmission;
}

/**
 * The individual endpoint's size (one comparison) is known before its body is read, so the request-rate count,
 * that comparison's in-flight allowance and the providers' circuit states are read in one Redis round trip
 * (one script on the tenant's keys, and the circuit read sent in the same write) where the acceptance would
 * otherwise need a round trip of its own before storing the batch. Nothing else changes: the rate limit still
 * answers 429 before the body is read; with no room in flight nothing is reserved and the acceptance asks again
 * after validation (so a bad body is still a 400, not a 429); a reservation the acceptance does not take over
 * (refused, aborted request) is given back when the response closes.
 */
@Injectable()
export class SingleAdmission {
  private readonly logger = new Logger(SingleAdmission.name);

  constructor(
    private readonly limiter: TenantRateLimiter,
    private readonly availability: ProviderAvailabilityService,
    private readonly runner: DirectRunner,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /**
   * Whether `req` submits one comparison. Other spellings Express also routes there (its matching ignores case)
   * simply go the ordinary way.
   */
  appliesTo(req: Request): boolean {
    return req.method === 'POST' && (req.path === SINGLE_PATH || req.path === `${SINGLE_PATH}/`);
  }

  /** The request-rate check (throws its 429) with the early admission; the outcome goes on the request. */
  async admit(req: Request, res: Response, principal: ApiPrincipal): Promise<void> {
    const batchId = randomUUID();
    // Issued in the same tick as the script below: one write to Redis. Every provider's circuit: the body, not read
    // yet, may name another provider than the default. A caller who waits may have the request run here: its lease
    // is taken now when nothing is queued, so the acceptance stores it running (no take later).
    const circuit = this.availability.readAheadAll();
    const leasing = this.waits(req) ? this.runner.leaseAhead(batchId) : Promise.resolve(null);
    let reservation: InflightReservation | undefined;
    try {
      reservation = await this.limiter.checkRequestAndReserve(principal, batchId, 1);
    } catch (err) {
      const direct = await leasing;
      if (direct) this.runner.giveBack(batchId, direct.slot);
      throw err;
    }
    if (reservation) {
      res.once('close', () => {
        reservation.abandon().catch((err: Error) =>
          this.logger.warn({
            msg: 'in-flight reservation not given back',
            batch_id: batchId,
            error: err.message,
          }),
        );
      });
    }
    const direct = await leasing;
    const lease = direct ? this.earlyLease(batchId, direct, res) : undefined;
    (req as AdmittedRequest).earlyAdmission = {
      batchId,
      reservation,
      circuit,
      ...(lease ? { direct: lease } : {}),
    };
  }

  /** Whether the caller asked to wait (a malformed Prefer is the acceptance's 400, not this one's concern). */
  private waits(req: Request): boolean {
    try {
      return parsePreferWait(req.headers.prefer, this.settings.preferWaitMaxSeconds).applied > 0;
    } catch {
      return false;
    }
  }

  private earlyLease(
    batchId: string,
    direct: { leaseMs: number; slot: DirectSlot },
    res: Response,
  ): EarlyLease {
    let held = true;
    res.once('close', () => {
      if (!held) return;
      held = false;
      this.runner.giveBack(batchId, direct.slot);
    });
    return {
      leaseMs: direct.leaseMs,
      take: () => {
        if (!held) return null;
        held = false;
        return direct.slot;
      },
    };
  }
}

/** The request's early admission (undefined when it had none). */
export const Admitted = createParamDecorator(
  (_data: unknown, context: ExecutionContext): EarlyAdmission | undefined =>
    context.switchToHttp().getRequest<AdmittedRequest>().earlyAdmission,
);
