import { Injectable, type PipeTransform } from '@nestjs/common';
import { ASSESSMENT_ID_PATTERN } from '#contracts';
import { ApiError } from '../http/api-error.js';

/** Assessment ids are caller-chosen (or UUIDs we issued): anything else is a 400 naming the path parameter. */
@Injectable()
export class AssessmentIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ASSESSMENT_ID_PATTERN.test(value)) {
      throw ApiError.invalid(
        'assessment_id',
        'assessment_id must be 1-96 characters of letters, digits, dot, underscore or hyphen',
      );
    }
    return value;
  }
}
