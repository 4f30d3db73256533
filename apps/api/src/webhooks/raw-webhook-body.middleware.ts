import { HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../http/api-error.js';

/** Provider notifications are small; anything larger is not one. */
const MAX_WEBHOOK_BYTES = 256 * 1024;

/**
 * Keeps a webhook's body as the exact string received (signatures are over the raw bytes, and re-serialised JSON
 * would not match), and marks it parsed so the JSON body parser leaves it alone.
 */
export function rawWebhookBodyMiddleware(req: Request, _res: Response, next: NextFunction): void {
  if (!req.path.startsWith('/webhooks/') || req.method !== 'POST') {
    next();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BYTES && !failed) {
      failed = true;
      next(new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'INVALID_REQUEST', 'Webhook body too large'));
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (failed) return;
    (req as Request & { _body?: boolean }).body = Buffer.concat(chunks).toString('utf8');
    (req as Request & { _body?: boolean })._body = true;
    next();
  });
  req.on('error', (err) => {
    if (!failed) next(err);
  });
}
