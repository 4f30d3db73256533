import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './api-authenticator.js';
import type { ApiPrincipal } from './api-principal.js';

/** The authenticated caller of a route (the guard guarantees one on every non-open route). */
export const Principal = createParamDecorator((_data: unknown, context: ExecutionContext): ApiPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('route reached without an authenticated principal');
  return principal;
});
