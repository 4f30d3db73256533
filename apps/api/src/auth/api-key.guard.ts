import { HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MetricsController } from '#infra';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { ApiKeyMatcher } from './api-key-matcher.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Liveness/readiness probes (infra's HealthModule) must work without credentials. */
const HEALTH_PATH = /^\/health(\/|$)/;
const CHALLENGE = 'Bearer realm="llm-batch-service"';

/**
 * `Authorization: Bearer <key>` on every route except health probes (and /metrics when METRICS_PUBLIC=true).
 * The docs at /docs are served outside Nest's router, so they never reach this guard.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly matcher: ApiKeyMatcher;

  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {
    this.matcher = new ApiKeyMatcher(settings.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.isOpen(context)) return true;
    const http = context.switchToHttp();
    const header = http.getRequest<Request>().headers.authorization;
    const key = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (key !== undefined && this.matcher.matches(key)) return true;

    const res = http.getResponse<Response>();
    const reason = header === undefined ? 'missing' : key === undefined ? 'malformed' : 'invalid';
    res.setHeader(
      'WWW-Authenticate',
      reason === 'missing' ? CHALLENGE : `${CHALLENGE}, error="invalid_token"`,
    );
    const message =
      reason === 'missing'
        ? 'Missing Authorization header (expected "Bearer <api key>")'
        : reason === 'malformed'
          ? 'Authorization header must be "Bearer <api key>"'
          : 'Invalid API key';
    throw new ApiError(HttpStatus.UNAUTHORIZED, 'AUTHENTICATION_ERROR', message, { field: 'Authorization' });
  }

  private isOpen(context: ExecutionContext): boolean {
    if (HEALTH_PATH.test(context.switchToHttp().getRequest<Request>().path)) return true;
    return context.getClass() === MetricsController && this.settings.metricsPublic;
  }
}
