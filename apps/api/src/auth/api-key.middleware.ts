import type { NextFunction, RequestHandler, Response } from 'express';
import { CorrelationContext } from '#infra';
import type { ApiAuthenticator, AuthenticatedRequest } from './api-authenticator.js';
import type { TenantMetrics } from './tenant-metrics.js';

/**
 * Authenticates before the body parser: a request without a valid key is answered 401 at once and its body is
 * never parsed. The principal goes on the request (for the routes), into the log context (tenant, key id) and,
 * when the answer is sent, into the per-tenant request counter.
 */
export function apiKeyMiddleware(authenticator: ApiAuthenticator, metrics: TenantMetrics): RequestHandler {
  return (req: AuthenticatedRequest, res: Response, next: NextFunction) => {
    if (authenticator.isOpen(req.path)) return next();
    try {
      const principal = authenticator.authenticate(req.headers.authorization);
      req.principal = principal;
      CorrelationContext.setCaller(principal);
      res.once('finish', () =>
        metrics.requests.inc({
          tenant: principal.tenant_id,
          key_id: principal.key_id,
          status: String(res.statusCode),
        }),
      );
      next();
    } catch (err) {
      next(err);
    }
  };
}
