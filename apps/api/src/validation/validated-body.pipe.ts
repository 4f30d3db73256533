import { Injectable, type PipeTransform } from '@nestjs/common';
import {
  ComparisonRequestValidator,
  type ValidatedBatchRequest,
  type ValidatedSingleRequest,
} from './comparison-request.validator.js';

/** POST /comparison/batch body → a validated request (see ComparisonRequestValidator). */
@Injectable()
export class BatchBodyPipe implements PipeTransform<unknown, Promise<ValidatedBatchRequest>> {
  constructor(private readonly validator: ComparisonRequestValidator) {}

  transform(value: unknown): Promise<ValidatedBatchRequest> {
    return this.validator.batch(value);
  }
}

/** POST /comparison body → a validated request. */
@Injectable()
export class SingleBodyPipe implements PipeTransform<unknown, ValidatedSingleRequest> {
  constructor(private readonly validator: ComparisonRequestValidator) {}

  transform(value: unknown): ValidatedSingleRequest {
    return this.validator.single(value);
  }
}
