import { Logger } from '@nestjs/common';
import type { NextFunction, RequestHandler, Response } from 'express';
import { ApiError } from '../http/api-error.js';
import type { AuthenticatedRequest } from '../auth/api-authenticator.js';
import type { SingleAdmission } from '../comparison/single-admission.js';
import type { TenantRateLimiter } from './tenant-rate-limiter.js';

const logger = new Logger('RateLimit');

/**
 * Requests per second per tenant, after authentication and before the body is read: a flooding tenant is
 * answered 429 without its bodies being parsed. A Redis failure lets the request through (storage will then
 * answer for itself) rather than refusing every tenant. An individual submission is checked by its early
 * admission, which does more in the same round trip and, for a small body, lets it be read meanwhile (see
 * SingleAdmission).
 */
export function rateLimitMiddleware(limiter: TenantRateLimiter, single?: SingleAdmission): RequestHandler {
  return (req: AuthenticatedRequest, res: Response, next: NextFunction) => {
    if (!req.principal) return next();
    if (single?.appliesTo(req)) {
      const admitted = single.admit(req, res, req.principal);
      // The acceptance, or the answer to an error met meanwhile, waits for the admission.
      if (single.overlapsBody(req)) return next();
      admitted.then(() => next(), next);
      return;
    }
    limiter.checkRequest(req.principal).then(
      () => next(),
      (err: unknown) => {
        if (err instanceof ApiError) return next(err);
        logger.warn({ msg: 'rate limit check failed; request let through', error: (err as Error).message });
        next();
      },
    );
  };
}
