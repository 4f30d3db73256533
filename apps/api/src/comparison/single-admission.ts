import { createParamDecorator, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_PREFIX } from '../config/api-settings.js';
import {
  ProviderAvailabilityService,
  type SharedCircuitRead,
} from '../providers/provider-availability.service.js';
import type { InflightReservation } from '../rate-limit/inflight-reservation.js';
import { TenantRateLimiter } from '../rate-limit/tenant-rate-limiter.js';

const SINGLE_PATH = `/${API_PREFIX}/comparison`;

/** What an individual request's admission did before its body was read, for its acceptance to go on from. */
export interface EarlyAdmission {
  /** The id its batch is stored under (the reservation is held for it). */
  readonly batchId: string;
  /** Its one comparison's in-flight allowance, when there was room. */
  readonly reservation?: InflightReservation;
  /** The providers' shared circuit states. */
  readonly circuit?: SharedCircuitRead;
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
    // yet, may name another provider than the default.
    const circuit = this.availability.readAheadAll();
    const reservation = await this.limiter.checkRequestAndReserve(principal, batchId, 1);
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
    (req as AdmittedRequest).earlyAdmission = { batchId, reservation, circuit };
  }
}

/** The request's early admission (undefined when it had none). */
export const Admitted = createParamDecorator(
  (_data: unknown, context: ExecutionContext): EarlyAdmission | undefined =>
    context.switchToHttp().getRequest<AdmittedRequest>().earlyAdmission,
);
