import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { isValidId } from '../../../domain';
import { isRole, Principal, Role } from './principal';

/** The longest a bearer token may live: a token without `exp`, or one good until 9999, is refused. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
import { PUBLIC_KEY, ROLES_KEY } from './roles.decorator';

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
    const header: string | undefined = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new UnauthorizedException('missing bearer token (mint one with: npm run token -- <role> <id>)');

    let payload: { sub?: unknown; role?: unknown; exp?: unknown; iat?: unknown };
    try {
      payload = await this.jwt.verifyAsync(token, { algorithms: ['HS256'] });
    } catch (err) {
      throw new UnauthorizedException(`invalid bearer token: ${(err as Error).message}`);
    }
    if (!isRole(payload.role) || !isValidId(payload.sub)) {
      throw new UnauthorizedException('bearer token must carry a role (buyer|seller|support|admin) and a sub that is a positive id within BIGINT');
    }
    // jsonwebtoken checks exp only when present; require it, and a bounded lifetime.
    if (typeof payload.exp !== 'number') throw new UnauthorizedException('bearer token must carry exp (an expiry time)');
    const issuedAt = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
    if (payload.exp - Math.min(issuedAt, Math.floor(Date.now() / 1000)) > MAX_TOKEN_LIFETIME_SECONDS) {
      throw new UnauthorizedException(`bearer token lives longer than the maximum of ${MAX_TOKEN_LIFETIME_SECONDS / 3600} h`);
    }
    const principal: Principal = { role: payload.role, id: payload.sub as string };
    request.principal = principal;

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!allowed || !allowed.includes(principal.role)) {
      throw new ForbiddenException(`role ${principal.role} may not call this endpoint`);
    }
    return true;
  }
}
