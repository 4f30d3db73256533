import type { NextFunction, Request, Response } from 'express';
import { CorrelationContext } from '../logging/correlation-context.js';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Runs each HTTP request inside a correlation context (caller's X-Correlation-Id when valid, else a new one). */
export function correlationMiddleware(req: Request, res: Response, next: NextFunction): void {
  const header = req.header(CORRELATION_HEADER);
  const id = header && VALID_ID.test(header) ? header : undefined;
  CorrelationContext.run(id, () => {
    res.setHeader(CORRELATION_HEADER, CorrelationContext.current() ?? '');
    next();
  });
}
