import { createParamDecorator, Inject, Injectable, Logger, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_PREFIX, API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { admissionOf, keepAdmission } from '../http/pending-admission.js';
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

/**
 * Bodies up to this size are read, parsed and validated while the individual request's admission is under way
 * (its round trip overlaps them); a larger (or unsized) body is read only once the admission has let it in.
 */
const OVERLAPPED_BODY_MAX_BYTES = 64 * 1024;

/**
 * The individual endpoint's size (one comparison) is known before its body is read, so the request-rate count,
 * that comparison's in-flight allowance and the providers' circuit states are read in one Redis round trip
 * (one script on the tenant's keys, and the circuit read sent in the same write) where the acceptance would
 * otherwise need a round trip of its own before storing the batch.
 *
 * A small body (OVERLAPPED_BODY_MAX_BYTES) is read and validated during that round trip, and the acceptance
 * waits for the admission before anything is stored; a large one only after it. Either way the admission's
 * refusal is the answer: a request over the rate is a 429 whatever its body (ApiExceptionFilter waits for the
 * admission before answering another error), nothing is stored for it and nothing is held. With no room in
 * flight nothing is reserved and the acceptance asks again after validation (so a bad body is still a 400, not a
 * 429). A reservation or lease the acceptance does not take over (refused, aborted request) is given back when the
 * response closes, also when it closed before the admission's round trip ended.
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

  /** Whether `req`'s body may be read while its admission is under way (a small body of declared size). */
  overlapsBody(req: Request): boolean {
    const length = req.headers['content-length'];
    return length !== undefined && Number(length) <= OVERLAPPED_BODY_MAX_BYTES;
  }

  /**
   * Starts the early admission of `req`, kept on the request for its acceptance (and for an error answer, which
   * waits for it): rejects with the request-rate 429; a Redis failure lets the request through without one.
   */
  admit(req: Request, res: Response, principal: ApiPrincipal): Promise<EarlyAdmission | undefined> {
    const admission = this.run(res, principal, this.waits(req));
    keepAdmission(req, admission);
    return admission;
  }

  private async run(
    res: Response,
    principal: ApiPrincipal,
    waits: boolean,
  ): Promise<EarlyAdmission | undefined> {
    const batchId = randomUUID();
    // What the acceptance does not take over is given back when the response closes; the listener is registered
    // now, as the response may close (an aborted request, an error answer) before the round trip ends.
    const giveBacks: Array<() => void> = [];
    let closed = false;
    res.once('close', () => {
      closed = true;
      for (const giveBack of giveBacks.splice(0)) giveBack();
    });
    const onClose = (giveBack: () => void) => (closed ? giveBack() : giveBacks.push(giveBack));
    // Issued in the same tick as the script below: one write to Redis. Every provider's circuit: the body, not read
    // yet, may name another provider than the default. A caller who waits may have the request run here: its lease
    // is taken now when nothing is queued, so the acceptance stores it running (no take later).
    const circuit = this.availability.readAheadAll();
    const leasing = waits ? this.runner.leaseAhead(batchId) : Promise.resolve(null);
    let reservation: InflightReservation | undefined;
    try {
      reservation = await this.limiter.checkRequestAndReserve(principal, batchId, 1);
    } catch (err) {
      const direct = await leasing;
      if (direct) this.runner.giveBack(batchId, direct.slot);
      if (err instanceof ApiError) throw err;
      this.logger.warn({
        msg: 'rate limit check failed; request let through',
        error: (err as Error).message,
      });
      return undefined;
    }
    if (reservation) {
      onClose(() => {
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
    const lease = direct ? this.earlyLease(batchId, direct, onClose) : undefined;
    return { batchId, reservation, circuit, ...(lease ? { direct: lease } : {}) };
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
    onClose: (giveBack: () => void) => void,
  ): EarlyLease {
    let held = true;
    onClose(() => {
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

/** The request's early admission, possibly still under way (undefined when it had none). */
export const Admitted = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Promise<EarlyAdmission | undefined> | undefined =>
    admissionOf<EarlyAdmission | undefined>(context.switchToHttp().getRequest<Request>()),
);
