import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, ErrorCode } from '../../../domain';
import type { ApiKeyScope } from '../../../domain/api-key-scopes';
import { ApiKeys, isApiKey } from './api-keys';
import { BearerTokens } from './bearer-tokens';
import { Principal, Role } from './principal';
import { PUBLIC_KEY, ROLES_KEY } from './roles.decorator';
import { SCOPE_KEY } from './scopes.decorator';
import { TokenRefused, bearerTokenOf } from './verify-token';

/**
 * Who is calling — `Authorization: Bearer` with a JWT (bearer-tokens.ts) or a seller's API key
 * (`sk_…`, api-keys.ts) — and whether the route lets them: its roles, and for a key the route's scope.
 * Ownership is checked in the data layer.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: BearerTokens,
    private readonly apiKeys: ApiKeys,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest();
    const credential = bearerTokenOf(request.headers.authorization);
    let principal: Principal;
    try {
      principal = credential && isApiKey(credential) ? await this.apiKeys.principalOf(credential) : await this.tokens.verify(credential);
    } catch (err) {
      if (err instanceof TokenRefused) throw new UnauthorizedException(err.message);
      throw err;
    }
    request.principal = principal;

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed || !allowed.includes(principal.role)) {
      throw new ForbiddenException(`role ${principal.role} may not call this endpoint`);
    }
    if (principal.apiKey) {
      const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(SCOPE_KEY, targets);
      if (!scope) throw new DomainError(ErrorCode.INSUFFICIENT_SCOPE, 'this route does not take API keys; call it with a signed-in seller\'s token');
      if (!principal.apiKey.scopes.includes(scope)) throw new DomainError(ErrorCode.INSUFFICIENT_SCOPE, `API key ${principal.apiKey.id} lacks the scope ${scope} (it has: ${principal.apiKey.scopes.join(', ') || 'none'})`, { requiredScope: scope });
    }
    return true;
  }
}
