import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppMetrics } from './app-metrics.js';

/** Route label of requests that matched no route (404s, and errors raised before routing such as 413). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Express middleware counting every request by route template (never the raw URL: ids would explode the label
 * set). Register it first so requests rejected by the body parser are counted too.
 */
export function httpMetricsMiddleware(metrics: AppMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : UNMATCHED_ROUTE;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.recordHttpRequest(req.method, route, res.statusCode, seconds);
    });
    next();
  };
}
