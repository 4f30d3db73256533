import { HttpStatus, ParseIntPipe } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '../http/api-error.js';

/**
 * What every multi-part upload (batches, assessments) shares: part numbers 1–10000, a part body of at most
 * UPLOAD_PART_MAX_BYTES (413 otherwise) and a 409 once sealed.
 */
export const MAX_PART_NUMBER = 10_000;

export const PART_NUMBER_PIPE = new ParseIntPipe({
  exceptionFactory: () =>
    ApiError.invalid('part_number', `part_number must be a whole number from 1 to ${MAX_PART_NUMBER}`),
});

/** Bytes of the part's JSON body as sent (Content-Length), or as re-serialized when the client streamed it. */
export function bodyBytes(req: Request, body: unknown): number {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > 0 ? declared : Buffer.byteLength(JSON.stringify(body));
}

/** The part's size and number, checked before anything else about it. */
export function checkPart(partNumber: number, bytes: number, partMaxBytes: number): void {
  if (bytes > partMaxBytes) {
    throw new ApiError(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'PAYLOAD_TOO_LARGE',
      `a part may be at most ${partMaxBytes} bytes`,
    );
  }
  if (partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw ApiError.invalid('part_number', `part_number must be a whole number from 1 to ${MAX_PART_NUMBER}`);
  }
}

export function uploadSealedError(): ApiError {
  return new ApiError(
    HttpStatus.CONFLICT,
    'CONFLICT',
    'This upload is sealed; its parts can no longer change',
  );
}
