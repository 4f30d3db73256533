import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ApiErrorDto } from '#contracts';

/** The error answers every authenticated route may give, documented once. */
export function ApiStandardErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiResponse({ status: 401, type: ApiErrorDto, description: 'Missing or invalid API key' }),
    ...statuses.map((status) => ApiResponse({ status, type: ApiErrorDto })),
  );
}

/** Headers of the two submission routes. */
export function ApiSubmissionHeaders(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Prefer',
      required: false,
      description: 'wait=N: hold up to N seconds (capped) for a 200',
    }),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key + same body → same id' }),
  );
}
