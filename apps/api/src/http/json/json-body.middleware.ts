import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpStatus } from '@nestjs/common';
import { ApiError } from '../api-error.js';
import {
  assembleJson,
  ChunkedBytes,
  JsonBodyError,
  JsonSplitScanner,
  type SplitJsonOptions,
} from './split-json-parser.js';

export interface JsonBodyOptions extends SplitJsonOptions {
  /** Largest accepted body in bytes (API_BODY_LIMIT): 413 above it. */
  limitBytes: number;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Reads a JSON body without ever holding the event loop for long. The bytes are scanned as they arrive, chunk by
 * chunk (JsonSplitScanner), and kept as those chunks — never joined into one buffer (a 20 MB Buffer.concat alone
 * is a ~90 ms copy) — so an over-cap array, too deep a nesting, an over-large piece or a body over the limit is
 * refused with its 400/413 as soon as the byte that makes it so arrives, without reading the rest. Each element of
 * a split array is parsed as soon as its last byte arrives (JsonSplitScanner.parseReady), so parsing overlaps the
 * upload; the rest of a complete body is then parsed piece by piece, yielding between pieces (assembleJson). Only UTF-8 (JSON's own encoding)
 * and no content encoding are accepted (415). Runs after authentication: an unauthenticated body is never read.
 */
export function jsonBodyMiddleware(options: JsonBodyOptions): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const flagged = req as Request & { _body?: boolean };
    if (flagged._body || !hasBody(req) || !req.is(JSON_TYPES)) return next();
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      return next(unsupported('Unsupported charset; use utf-8'));
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return next(unsupported('Unsupported content encoding'));
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > options.limitBytes) return next(tooLarge(options.limitBytes));

    const scanner = new JsonSplitScanner(options);
    const bytes = new ChunkedBytes();
    let settled = false;
    const stop = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      // The rest of the upload is left unread; the error answer closes the connection (ApiExceptionFilter).
      next(err);
    };
    const onData = (chunk: Buffer) => {
      if (bytes.size + chunk.length > options.limitBytes) return stop(tooLarge(options.limitBytes));
      bytes.push(chunk);
      try {
        scanner.feed(chunk);
        scanner.parseReady(bytes);
      } catch (err) {
        stop(err instanceof JsonBodyError ? toApiError(err) : err);
      }
    };
    req.on('data', onData);
    req.once('error', () => stop(ApiError.invalid(undefined, 'Request body was aborted')));
    req.once('end', () => {
      if (settled) return;
      req.off('data', onData);
      flagged._body = true;
      if (bytes.size === 0) {
        settled = true;
        req.body = undefined;
        return next();
      }
      let plan;
      try {
        plan = scanner.finish();
      } catch (err) {
        return stop(err instanceof JsonBodyError ? toApiError(err) : err);
      }
      assembleJson(bytes, plan, options).then(
        (value) => {
          settled = true;
          req.body = value;
          next();
        },
        (err: unknown) => stop(err instanceof JsonBodyError ? toApiError(err) : err),
      );
    });
  };
}

/** Parses a size such as 512kb or 20mb (as body-parser does: 1 kb = 1024 bytes). */
export function parseByteSize(value: string): number {
  const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
  if (!match) throw new Error(`not a size: ${value}`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b'];
  return Number(match[1]) * unit;
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function unsupported(message: string): ApiError {
  return new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE', message);
}

function tooLarge(limit: number): ApiError {
  return new ApiError(
    HttpStatus.PAYLOAD_TOO_LARGE,
    'PAYLOAD_TOO_LARGE',
    'Request body exceeds the size limit',
    {
      details: { max_bytes: limit },
    },
  );
}

function toApiError(err: JsonBodyError): ApiError {
  if (err.problem === 'malformed')
    return ApiError.invalid(undefined, err.message, { reason: 'malformed_json' });
  return ApiError.invalid(err.field, err.message, { reason: err.problem, ...err.details });
}
