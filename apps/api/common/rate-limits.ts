import { ExecutionContext, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { AppConfig } from '../../../config/app-config';
import type { Principal } from '../auth/principal';

const RATE_KIND = 'rate-limit-kind';
type RateKind = 'write' | 'poll';

/**
 * Rate limits per principal (role + id from the bearer token, which the auth guard has checked
 * before this guard runs), per route: a buyer hammering checkout does not slow another buyer. Only
 * the routes that start work or call a provider are limited — never /notify/*, whose callers are
 * the providers retrying on their own schedule. Counters live in this API process.
 */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return principal ? `${principal.role}:${principal.id}` : `ip:${req.ip}`;
  }
}

/** Checkout, payment creation, cancellations: RATE_LIMIT_WRITES_PER_MINUTE per principal and route. */
export const RateLimitedWrite = () => applyDecorators(SetMetadata(RATE_KIND, 'write' satisfies RateKind), UseGuards(PrincipalThrottlerGuard));
/** The QR page's status poll (it queries the provider): RATE_LIMIT_POLLS_PER_MINUTE per principal and route. */
export const RateLimitedPoll = () => applyDecorators(SetMetadata(RATE_KIND, 'poll' satisfies RateKind), UseGuards(PrincipalThrottlerGuard));

export function throttlerOptions(config: AppConfig): ThrottlerModuleOptions {
  const limitOf = (context: ExecutionContext): number =>
    Reflect.getMetadata(RATE_KIND, context.getHandler()) === 'poll' ? config.api.rateLimits.pollsPerMinute : config.api.rateLimits.writesPerMinute;
  return {
    throttlers: [{ name: 'default', ttl: 60_000, limit: limitOf }],
    // With a 429 the guard sets Retry-After (seconds until the window frees up).
    errorMessage: (context, detail) => `too many requests: at most ${detail.limit} a minute on this route for one caller; retry after ${Math.max(1, Math.ceil(detail.timeToBlockExpire))} s (Retry-After)`,
  };
}
