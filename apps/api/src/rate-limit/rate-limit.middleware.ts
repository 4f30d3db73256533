import { Logger } from '@nestjs/common';
import type { NextFunction, RequestHandler, Response } from 'express';
import { ApiError } from '../http/api-error.js';
import type { AuthenticatedRequest } from '../auth/api-authenticator.js';
import type { TenantRateLimiter } from './tenant-rate-limiter.js';

const logger = new Logger('RateLimit');

/**
 * Requests per second per tenant, after authentication and before the body is read: a flooding tenant is
 * answered 429 without its bodies being parsed. A Redis failure lets the request through (storage will then
 * answer for itself) rather than refusing every tenant.
 */
export function rateLimitMiddleware(limiter: TenantRateLimiter): RequestHandler {
  return (req: AuthenticatedRequest, _res: Response, next: NextFunction) => {
    if (!req.principal) return next();
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
