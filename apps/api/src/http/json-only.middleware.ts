import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from './api-error.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * 415 for a request that carries a body in anything but JSON. Without this, body-parser would skip such a body
 * and the request would fail later as "missing fields", which hides the real mistake.
 */
export function jsonOnlyMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (BODY_METHODS.has(req.method) && hasBody && !req.is(['application/json', 'application/*+json'])) {
    next(
      new ApiError(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'UNSUPPORTED_MEDIA_TYPE',
        'Request body must be application/json',
        {
          details: { content_type: req.headers['content-type'] ?? null },
        },
      ),
    );
    return;
  }
  next();
}
