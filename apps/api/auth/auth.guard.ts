import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { Principal, Role } from './principal';
import { PUBLIC_KEY, ROLES_KEY } from './roles.decorator';
import { TokenRefused, bearerTokenOf, verifyBearerToken } from './verify-token';

/** Verifies the HS256 bearer token and checks the route's roles. Ownership is checked in the data layer. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest();
    let principal: Principal;
    try {
      principal = await verifyBearerToken(this.jwt, bearerTokenOf(request.headers.authorization));
    } catch (err) {
      if (err instanceof TokenRefused) throw new UnauthorizedException(err.message);
      throw err;
    }
    request.principal = principal;

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed || !allowed.includes(principal.role)) {
      throw new ForbiddenException(`role ${principal.role} may not call this endpoint`);
    }
    return true;
  }
}
