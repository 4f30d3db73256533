import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isRetryableApiCode, type ApiErrorCode, type ApiErrorDto } from '#contracts';
import { CorrelationContext } from '#infra';
import { ApiError } from './api-error.js';
import { admissionOf } from './pending-admission.js';

/** body-parser's error types (carried as the cause of the HttpException Nest maps them to). */
const BODY_PARSER_ERRORS: Record<string, () => ApiError> = {
  'entity.too.large': () =>
    new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE', 'Request body exceeds the size limit'),
  'entity.parse.failed': () =>
    ApiError.invalid(undefined, 'Request body is not valid JSON', { reason: 'malformed_json' }),
  'encoding.unsupported': () =>
    new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding'),
  'charset.unsupported': () =>
    new ApiError(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'UNSUPPORTED_MEDIA_TYPE',
      'Unsupported charset; use utf-8',
    ),
  'request.aborted': () => ApiError.invalid(undefined, 'Request body was aborted'),
};

const CODE_BY_STATUS: Partial<Record<number, ApiErrorCode>> = {
  401: 'AUTHENTICATION_ERROR',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * The one place errors become HTTP answers: `{error: {code, message, field?, retryable, correlation_id, details?}}`.
 * Unknown errors are logged and answered as a bare 500 (their messages may hold internals).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const admission = admissionOf(host.switchToHttp().getRequest<Request>());
    if (!admission) return this.answer(exception, host);
    // The request's admission may still be under way (a small body is read meanwhile): its refusal is the
    // answer, whatever else went wrong with the request.
    admission.then(
      () => this.answer(exception, host),
      (refusal: unknown) => this.answer(refusal, host),
    );
  }

  private answer(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const error = this.toApiError(exception);
    if (error.status >= 500 && !(exception instanceof ApiError)) {
      this.logger.error({ msg: 'unhandled error', error: describe(exception) });
    }
    if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
    // Refused before its body was read (401, 413, 429, …): close the connection instead of reading the rest of
    // an upload nobody will look at.
    if (!host.switchToHttp().getRequest<Request>().complete) res.setHeader('Connection', 'close');
    const body: ApiErrorDto = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.field !== undefined ? { field: error.field } : {}),
        retryable: isRetryableApiCode(error.code),
        correlation_id: CorrelationContext.current() ?? '',
        ...(error.details ? { details: error.details } : {}),
      },
    };
    if (!res.headersSent) res.status(error.status).json(body);
  }

  private toApiError(exception: unknown): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof HttpException) {
      const parserType = (exception.cause as { type?: unknown } | undefined)?.type;
      const mapped = typeof parserType === 'string' ? BODY_PARSER_ERRORS[parserType] : undefined;
      if (mapped) return mapped();
      const status = exception.getStatus();
      if (status >= 500) return internalError();
      const code = CODE_BY_STATUS[status] ?? 'INVALID_REQUEST';
      return new ApiError(status, code, httpExceptionMessage(exception));
    }
    return internalError();
  }
}

function internalError(): ApiError {
  return new ApiError(HttpStatus.INTERNAL_SERVER_ERROR, 'INTERNAL_ERROR', 'Internal server error');
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return exception.message;
}

function describe(exception: unknown): Record<string, unknown> {
  if (exception instanceof Error)
    return { name: exception.name, message: exception.message, stack: exception.stack };
  return { value: String(exception) };
}
