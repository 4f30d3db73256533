import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { ApiError } from './api-error.js';

/** Every JSON body of this API is an object; an array or missing body is named as such, not as missing fields. */
export class JsonObjectBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'body') return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw ApiError.invalid(undefined, 'Request body must be a JSON object');
    }
    return value;
  }
}
