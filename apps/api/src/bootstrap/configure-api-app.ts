import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppMetrics, httpMetricsMiddleware } from '#infra';
import { ApiAuthenticator } from '../auth/api-authenticator.js';
import { apiKeyMiddleware } from '../auth/api-key.middleware.js';
import { TenantMetrics } from '../auth/tenant-metrics.js';
import { SingleAdmission } from '../comparison/single-admission.js';
import { rateLimitMiddleware } from '../rate-limit/rate-limit.middleware.js';
import { TenantRateLimiter } from '../rate-limit/tenant-rate-limiter.js';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import {
  jsonBodyMiddleware,
  parseByteSize,
  type JsonBodyOptions,
} from '../http/json/json-body.middleware.js';
import { ApiExceptionFilter } from '../http/api-exception.filter.js';
import { JsonObjectBodyPipe } from '../http/json-object-body.pipe.js';
import { jsonOnlyMiddleware } from '../http/json-only.middleware.js';
import { validationApiError } from '../http/validation-errors.js';
import { rawWebhookBodyMiddleware } from '../webhooks/raw-webhook-body.middleware.js';
import { setupApiDocs } from './setup-api-docs.js';

export interface ApiHttpOptions {
  /** body-parser size limit (API_BODY_LIMIT). */
  bodyLimit: string;
}

/**
 * Everything the API adds to a Nest app before it listens, shared by main.ts and the tests so both run the same
 * pipeline: metrics first (so rejected requests are counted), authentication, 415 for non-JSON bodies, the JSON body parser with
 * its limit, strict DTO validation, one error format, and the docs.
 */
export function configureApiApp(app: NestExpressApplication, options: ApiHttpOptions): void {
  // Every answer is a fresh state of a job: no ETag (Express would hash each body for one nobody revalidates).
  app.set('etag', false);
  // No X-Powered-By: Express: the answer does not name the framework behind it (OWASP's fingerprinting advice).
  app.disable('x-powered-by');
  app.use(httpMetricsMiddleware(app.get(AppMetrics)));
  // Authentication before the body is read: an unauthenticated body is never parsed.
  app.use(apiKeyMiddleware(app.get(ApiAuthenticator), app.get(TenantMetrics)));
  app.use(rateLimitMiddleware(app.get(TenantRateLimiter), app.get(SingleAdmission)));
  // Provider webhooks keep their raw body (signatures cover the exact bytes); the JSON parser then skips them.
  app.use(rawWebhookBodyMiddleware);
  app.use(jsonOnlyMiddleware);
  // The body is scanned as it arrives and parsed in pieces, yielding between them (see jsonBodyMiddleware): no
  // request holds the event loop for long, and an over-cap array is refused before the rest is even read.
  const settings = app.get<ApiSettings>(API_SETTINGS);
  app.use(jsonBodyMiddleware(jsonBodyOptions(settings, parseByteSize(options.bodyLimit))));
  app.useGlobalPipes(
    new JsonObjectBodyPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: validationApiError,
    }),
  );
  app.useGlobalFilters(new ApiExceptionFilter());
  setupApiDocs(app);
}

/**
 * The body scan's limits from the request caps: the arrays that may be large (`comparisons`, `essays`) are parsed
 * element by element; one element may hold two essays, a prompt and metadata (6 bytes per character when every
 * one is escaped), and the rest of the body (options and prompts) at most a few prompts.
 */
export function jsonBodyOptions(settings: ApiSettings, limitBytes: number): JsonBodyOptions {
  const pieceChars = 2 * settings.maxEssayChars + settings.maxPromptChars;
  return {
    limitBytes,
    splitArrays: {
      comparisons: settings.maxComparisonsPerBatch,
      essays: Math.max(settings.maxEssaysPerBatch, 2 * settings.maxComparisonsPerBatch),
    },
    maxDepth: settings.metadataMaxDepth + 8,
    maxValuesPerPiece: 20_000,
    maxElementBytes: 6 * pieceChars + settings.metadataMaxBytes + 65_536,
    maxRestBytes: Math.max(2 * 1024 * 1024, 6 * 8 * settings.maxPromptChars),
  };
}
