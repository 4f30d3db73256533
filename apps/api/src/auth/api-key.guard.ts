import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiAuthenticator, type AuthenticatedRequest } from './api-authenticator.js';

/**
 * Every Nest route needs a principal. The authentication middleware normally set it before the body was read;
 * this guard is the backstop for a route reached without it (the middleware not installed), never a second
 * source of truth.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly authenticator: ApiAuthenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.authenticator.isOpen(req.path) || req.principal) return true;
    req.principal = this.authenticator.authenticate(req.headers.authorization);
    return true;
  }
}
