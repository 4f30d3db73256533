import { ParseUUIDPipe } from '@nestjs/common';
import { ApiError } from '../http/api-error.js';

/** Batch and queue ids are UUIDs we issued; anything else is a 400 naming the path parameter. */
export function idParamPipe(name: string): ParseUUIDPipe {
  return new ParseUUIDPipe({ exceptionFactory: () => ApiError.invalid(name, `${name} must be a UUID`) });
}
