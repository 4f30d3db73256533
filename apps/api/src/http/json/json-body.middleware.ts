import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../api-error.js';
import { JsonBodyError, parseJsonSplit, type SplitJsonOptions } from './split-json-parser.js';

/**
 * Turns the raw JSON body (a Buffer from the size-limited raw parser) into a value without blocking the event loop
 * for long: see parseJsonSplit. Only UTF-8 is accepted (JSON's own encoding).
 */
export function jsonBodyMiddleware(options: SplitJsonOptions): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!Buffer.isBuffer(req.body)) return next();
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      return next(
        new ApiError(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'UNSUPPORTED_MEDIA_TYPE',
          'Unsupported charset; use utf-8',
        ),
      );
    }
    const raw = req.body as Buffer;
    req.body = undefined;
    if (raw.length === 0) return next();
    parseJsonSplit(raw, options).then(
      (value) => {
        req.body = value;
        next();
      },
      (err: unknown) => next(err instanceof JsonBodyError ? toApiError(err) : err),
    );
  };
}

function toApiError(err: JsonBodyError): ApiError {
  if (err.problem === 'malformed')
    return ApiError.invalid(undefined, err.message, { reason: 'malformed_json' });
  return ApiError.invalid(err.field, err.message, { reason: err.problem, ...err.details });
}
