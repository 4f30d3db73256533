import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { ApiKeyMatcher } from './api-key-matcher.js';
import type { ApiPrincipal } from './api-principal.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Probes and the OpenAPI docs must work without credentials; provider webhooks are verified by signature. */
const OPEN_PATH = /^\/(health|docs|webhooks)(\/|-json|-yaml|$)/;
const METRICS_PATH = /^\/metrics\/?$/;
const CHALLENGE = 'Bearer realm="llm-batch-service"';

/** The authenticated principal, set on the request by the authentication middleware. */
export interface AuthenticatedRequest extends Request {
  principal?: ApiPrincipal;
}

/**
 * `Authorization: Bearer <key>` → the key's tenant and key id. Used by a middleware that runs BEFORE the body is
 * read, so an unauthenticated request is refused without parsing (or even receiving) its body.
 */
@Injectable()
export class ApiAuthenticator {
  private readonly matcher: ApiKeyMatcher;

  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {
    this.matcher = new ApiKeyMatcher(settings.apiKeys);
  }

  isOpen(path: string): boolean {
    return OPEN_PATH.test(path) || (this.settings.metricsPublic && METRICS_PATH.test(path));
  }

  /** The principal, or a 401 ApiError (with the WWW-Authenticate value in `details.challenge`). */
  authenticate(header: string | undefined): ApiPrincipal {
    const key = header === undefined ? undefined : BEARER.exec(header)?.[1];
    const principal = key === undefined ? null : this.matcher.match(key);
    if (principal) return principal;
    const reason = header === undefined ? 'missing' : key === undefined ? 'malformed' : 'invalid';
    const message =
      reason === 'missing'
        ? 'Missing Authorization header (expected "Bearer <api key>")'
        : reason === 'malformed'
          ? 'Authorization header must be "Bearer <api key>"'
          : 'Invalid API key';
    throw new ApiError(HttpStatus.UNAUTHORIZED, 'AUTHENTICATION_ERROR', message, {
      field: 'Authorization',
      headers: {
        'WWW-Authenticate': reason === 'missing' ? CHALLENGE : `${CHALLENGE}, error="invalid_token"`,
      },
    });
  }
}
